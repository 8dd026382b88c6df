import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Scheduling policy with nodes driven by the test.
@Suite("Scheduling policy")
struct SchedulingTests {
    func user(_ controller: TestController, _ name: String) async throws -> ControllerClient {
        _ = try await controller.admin.request(.POST, "/api/v1/users", json: UserInput(username: name, password: "password-\(name)"))
        let basic = "Basic " + Data("\(name):password-\(name)".utf8).base64EncodedString()
        let anonymous = try controller.client(bearer: nil)
        let token = try await anonymous.request(.POST, "/api/v1/tokens", json: TokenInput(name: name), headers: [("Authorization", basic)])
            .decode(CreatedToken.self).token
        return try controller.client(bearer: token)
    }

    @Test("a small task behind a big one gets the next free slot; users share fairly")
    func fairShare() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "wide", slots: 8, products: [fixture.simulatedInventory])
            let big = try await controller.submit(fixture.submission((1...10_000).map { "big-\($0)" }, name: "big"))
            let first = try #require(try await node.lease())
            #expect(first.taskId == big.id)
            let small = try await controller.submit(fixture.submission((1...10).map { "small-\($0)" }, name: "small"))
            let second = try #require(try await node.lease())
            #expect(second.taskId == small.id, "the small task waits behind the big one")

            // Another user's task: users share before tasks of one user do.
            let bob = try await user(controller, "bob")
            let bobAnswer = try await bob.request(.POST, "/api/v1/tasks", json: fixture.submission(["bob-1", "bob-2", "bob-3"]))
            #expect(bobAnswer.status == 201, "\(bobAnswer.text)")
            let bobs = try bobAnswer.decode(TaskInfo.self)
            let third = try #require(try await node.lease())
            #expect(third.taskId == bobs.id)
            // Admin runs 2, bob 1: bob's task again; then admin's tasks alternate by what each runs.
            let fourth = try #require(try await node.lease())
            #expect(fourth.taskId == bobs.id)
            var taken: [Int64] = []
            for _ in 0..<4 { taken.append(try #require(try await node.lease()).taskId) }
            #expect(taken.filter { $0 == bobs.id }.count == 1)
            #expect(taken.filter { $0 == small.id }.count >= 1)
        }
    }

    @Test("higher priority first; a low priority ages and is not starved")
    func priorityAndAging() async throws {
        // Time is the test's: 150 ms pass between two leases.
        let clock = SchedulingClock.manual()
        try await withController(.set { $0.agingIntervalSeconds = 1 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "single", products: [fixture.simulatedInventory])
            // Aging counts from the low task's submission.
            let start = clock.date
            let low = try await controller.submit(fixture.submission((1...5).map { "low-\($0)" }, name: "low", priority: 0))
            let high = try await controller.submit(fixture.submission((1...500).map { "high-\($0)" }, name: "high", priority: 4))
            var firstLow: Duration?
            while clock.date.timeIntervalSince(start) < 15 {
                let lease = try #require(try await node.lease())
                try await node.finish(lease, .passed)
                if lease.taskId == low.id {
                    firstLow = .seconds(clock.date.timeIntervalSince(start))
                    break
                }
                #expect(lease.taskId == high.id)
                clock.advance(by: .milliseconds(150))
            }
            let waited = try #require(firstLow, "the low-priority task never got a case")
            // Priority 0 against 4 (refreshed at most once a second): it takes 5 to 7 aging steps of 1 s.
            #expect(waited > .seconds(3) && waited < .seconds(12), "low priority first leased after \(waited)")
            _ = high
        }
    }

    @Test("durations are learned: longest known cases first, and an ETA from history")
    func durationAware() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "timer", products: [fixture.simulatedInventory])
            let durations: [String: Int64] = ["quick": 1000, "medium": 5000, "long": 20000, "unknown-later": 0]
            let first = try await controller.submit(fixture.submission(["quick", "medium", "long"]))
            while let lease = try await node.lease() { try await node.finish(lease, .passed, durationMs: durations[lease.caseName]!) }
            try await controller.waitForTask(first.id)
            let second = try await controller.submit(fixture.submission(["quick", "medium", "long", "fresh"]))
            let info = try await controller.task(second.id)
            // 26 s of known work plus one unknown case at the mean of the known ones, on one slot.
            let eta = try #require(info.etaS)
            #expect(eta >= 26 && eta <= 40, "eta \(eta)")
            var order: [String] = []
            while let lease = try await node.lease() {
                order.append(lease.caseName)
                try await node.finish(lease, .passed, durationMs: 10)
            }
            #expect(order == ["fresh", "long", "medium", "quick"])
        }
    }

    @Test("why pending: no node; nodes offline, draining or disabled; slots busy with higher priority")
    func pendingReasons() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, product: "widget", version: "3.1", tool: "bench", script: "true")
            let waiting = try await controller.submit(fixture.submission(["w1", "w2"], name: "waiting", priority: 0))
            var reason = try await controller.task(waiting.id).pendingReason
            #expect(reason == "no node has product widget 3.1 with tool \(fixture.tool.name) 1 installed")

            let node = try await SimulatedNode.enroll(controller, name: "only", products: [fixture.simulatedInventory])
            _ = try await controller.admin.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(state: .draining))
            reason = try await controller.task(waiting.id).pendingReason
            #expect(reason == "the 1 node with product widget 3.1 with tool \(fixture.tool.name) 1 is unavailable: 1 draining")
            _ = try await controller.admin.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(state: .disabled))
            #expect(try await controller.task(waiting.id).pendingReason?.hasSuffix("1 disabled") == true)
            try await controller.services.database.query("UPDATE nodes SET state = 'offline' WHERE id = \(node.id)")
            #expect(try await controller.task(waiting.id).pendingReason?.hasSuffix("1 offline") == true)
            _ = try await controller.admin.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(state: .online))

            _ = try await controller.admin.request(.POST, "/api/v1/tasks/\(waiting.id)/cancel")
            let urgent = try await controller.submit(fixture.submission(["u1", "u2"], name: "urgent", priority: 10))
            let lease = try #require(try await node.lease())
            #expect(lease.taskId == urgent.id)
            let later = try await controller.submit(fixture.submission(["l1"], name: "later", priority: 1))
            reason = try await controller.task(later.id).pendingReason
            #expect(reason == "all 1 matching slot on 1 online node are busy; 1 with higher-priority work")
            #expect(try await controller.task(urgent.id).pendingReason == nil)
        }
    }

    @Test("drain: a draining node finishes its case and takes no new one; revoking the credential locks it out")
    func drainAndRevoke() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "drainee", slots: 2, products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["d1", "d2", "d3"]))
            let running = try #require(try await node.lease())
            let patched = try await controller.admin.request(
                .PATCH,
                "/api/v1/nodes/\(node.id)",
                json: NodePatch(state: .draining, slots: 3, labels: ["gpu"])
            )
            let info = try patched.decode(NodeInfo.self)
            #expect(info.state == .draining && info.slots == 3 && info.labels == ["gpu"] && info.runningCases.count == 1)
            #expect(try await node.lease() == nil)
            #expect(try await node.heartbeat(running).status == 200)
            #expect(try await node.finish(running, .passed).status == 200)
            _ = try await controller.admin.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(state: .online))
            #expect(try await node.lease() != nil)
            #expect(try await controller.admin.request(.PATCH, "/api/v1/nodes/\(node.id)", json: NodePatch(state: .offline)).status == 422)
            #expect(try await controller.admin.request(.DELETE, "/api/v1/nodes/\(node.id)").status == 204)
            let refused = try await node.client.request(.POST, "/api/v1/agent/lease", json: LeaseRequest(waitS: 0))
            #expect(refused.status == 401 && refused.errorMessage?.contains("revoked") == true)
        }
    }

    @Test("infrastructure failures: retried on another node, a test failure never; a node failing repeatedly is disabled")
    func quarantine() async throws {
        try await withController(.set { $0.nodeMaxInfraFailures = 2 }) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let sick = try await SimulatedNode.enroll(controller, name: "sick", products: [fixture.simulatedInventory])
            let healthy = try await SimulatedNode.enroll(controller, name: "healthy", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["c1", "c2", "c3"]))
            let first = try #require(try await sick.lease())
            try await sick.finish(first, .error, message: "disk full")
            let second = try #require(try await sick.lease())
            #expect(second.caseId != first.caseId, "the failed case avoids the node it failed on")
            try await sick.finish(second, .error, message: "disk full")
            let node = try await controller.admin.request(.GET, "/api/v1/nodes/\(sick.id)").decode(NodeInfo.self)
            #expect(node.state == .disabled)
            #expect(node.stateReason == "disabled after 2 consecutive infrastructure failures (error or lost runs)")
            #expect(try await sick.lease() == nil)
            var seen: [String: ResultStatus] = [:]
            while let lease = try await healthy.lease() {
                let status: ResultStatus = lease.caseName == "c3" ? .failed : .passed
                seen[lease.caseName] = status
                try await healthy.finish(lease, status)
            }
            #expect(Set(seen.keys) == ["c1", "c2", "c3"])
            let ended = try await controller.waitForTask(task.id)
            #expect(ended.counts.passed == 2 && ended.counts.failed == 1)
            let failed = try await controller.cases(task.id).first { $0.name == "c3" }!
            #expect(failed.attempts == 1)
            let retried = try await controller.admin.request(.GET, "/api/v1/cases/\(first.caseId)").decode(CaseDetail.self)
            #expect(retried.runs.map(\.outcome) == [.error, .passed] && retried.runs.map(\.node.name) == ["sick", "healthy"])
        }
    }
}

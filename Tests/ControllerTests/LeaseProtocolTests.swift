import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The agent protocol over HTTPS with nodes driven by the test: fencing, heartbeats, logs, reaper, long-poll.
@Suite("Lease protocol")
struct LeaseProtocolTests {
    @Test("results are fenced: wrong token 409, other node 403, same result again 200, a different one 409")
    func fencing() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let a = try await SimulatedNode.enroll(controller, name: "a", products: [fixture.simulatedInventory])
            let b = try await SimulatedNode.enroll(controller, name: "b", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["one", "two"]))
            let lease = try #require(try await a.lease())
            #expect(lease.caseName == "one" && lease.taskId == task.id && lease.attempt == 1)
            // The tool's template as it is: the agent fills in every placeholder, once.
            #expect(lease.commandTemplate == "{tool_dir}/run.sh {case}")
            #expect(lease.product.path == fixture.productDirectory.path && lease.tool.path == fixture.toolDirectory.path)
            #expect(lease.timeoutS == 600 && lease.heartbeatIntervalS == 10)

            let beat = try await a.heartbeat(lease)
            let beatAnswer = try beat.decode(HeartbeatResponse.self)
            #expect(beat.status == 200 && beatAnswer.cancel == false)
            #expect(try await controller.cases(task.id)[0].state == .running)
            #expect(try await b.heartbeat(lease).status == 403)

            var forged = lease
            forged.token += 1
            #expect(try await a.finish(forged, .passed).status == 409)
            #expect(try await b.finish(lease, .passed).status == 403)
            #expect(try await a.finish(lease, .passed, durationMs: 1234).status == 200)
            #expect(try await a.finish(lease, .passed, durationMs: 1234).status == 200)
            #expect(try await a.finish(lease, .failed).status == 409)
            #expect(try await a.heartbeat(lease).status == 409)
            let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(lease.caseId)").decode(CaseDetail.self)
            #expect(detail.case.state == .passed && detail.case.durationMs == 1234 && detail.case.node?.name == "a")
            #expect(detail.runs.count == 1 && detail.runs[0].outcome == .passed)
            let unknown = UUID().uuidString.lowercased()
            #expect(
                try await a.client.request(
                    .POST,
                    "/api/v1/agent/leases/\(unknown)/result",
                    json: CaseResult(token: 1, status: .passed, exitCode: 0, durationMs: 1, message: nil)
                ).status == 404
            )
        }
    }

    @Test("log chunks: in order, a repeat accepted once, a gap refused with the controller's offset, too big 413, capped keeping head and tail")
    func logs() async throws {
        try await withController(
            .set {
                $0.caseLogMaxBytes = 4096
                $0.logChunkMaxBytes = 2048
            }
        ) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "logger", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["chatty"]))
            let lease = try #require(try await node.lease())
            #expect(try await node.log(lease, offset: 0, "hello ").decode(LogAck.self).offset == 6)
            #expect(try await node.log(lease, offset: 0, "hello ").decode(LogAck.self).offset == 6)
            #expect(try await node.log(lease, offset: 3, "lo world\n").decode(LogAck.self).offset == 12)
            let gap = try await node.log(lease, offset: 40, "lost")
            #expect(gap.status == 409)
            #expect((try WireJSON.decoder().decode(ErrorBody.self, from: gap.body)).error.offset == 12)
            #expect(try await node.log(lease, offset: 12, String(repeating: "x", count: 3000)).status == 413)
            #expect(try await node.log(lease, offset: 12, "next", token: lease.token + 1).status == 409)
            #expect(try await controller.log(lease.caseId) == "hello world\n")

            var offset: Int64 = 12
            for index in 0..<10 {
                let line = "line \(index) " + String(repeating: "\(index)", count: 1000) + "\n"
                offset = try await node.log(lease, offset: offset, line).decode(LogAck.self).offset
            }
            let capped = try await controller.log(lease.caseId)
            #expect(capped.hasPrefix("hello world\nline 0 "))
            #expect(capped.contains("bytes of log omitted"))
            #expect(capped.hasSuffix("line 9 " + String(repeating: "9", count: 1000) + "\n"))
            #expect(capped.utf8.count < 4096 + 2 * 1024)
        }
    }

    @Test("a node whose inventory changes while its long poll reads what it can run waits for the new work, not the old")
    func inventoryDuringPoll() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "restocked", products: [])
            let services = controller.services
            // The inventory arrives, and the controller hears of it, just after the poll read the node's capabilities
            // (none) and before it registered to wait.
            let restock = OneShotTask<Void>()
            // Kept for no time: the route's forget reaches the controller's own cache, not this one.
            let capabilities = NodeCapabilities(ttl: .zero) { id in
                let read = try await services.nodes.capabilities(nodeID: id)
                try await restock.run {
                    let before = services.activity.generation
                    let report = Inventory(products: [fixture.simulatedInventory], labels: nil)
                    let answer = try await node.client.request(.POST, "/api/v1/agent/inventory", json: report)
                    guard answer.status == 200 else { throw TestFailure("inventory: \(answer.text)") }
                    // The route forgets the node; then the notification of the change comes back to this controller,
                    // which forgets it again and wakes its polls (none is registered yet).
                    try await waitUntil("the notification is heard") { services.activity.generation >= before + 2 }
                }
                return read
            }
            let dispatcher = Dispatcher(
                leases: services.leases,
                installJobs: services.installJobs,
                waiters: services.waiters,
                capabilities: capabilities,
                activity: services.activity,
                metrics: services.metrics,
                clock: services.clock
            )
            let polling = Task { try await dispatcher.awaitAssignment(node: node.id, wait: 20) }
            try await waitUntil("the poll waits") { services.waiters.suspended == 1 }
            // From the submission: the poll's own start on a loaded machine is not what is measured.
            let started = ContinuousClock.now
            _ = try await controller.submit(fixture.submission(["restocked"]))
            guard case .run(let lease) = try await polling.value else {
                Issue.record("the poll ended without the case")
                return
            }
            #expect(lease.caseName == "restocked")
            #expect(ContinuousClock.now - started < .seconds(10), "the case waited for the poll to time out")
        }
    }

    @Test("a lease that expires is lost, the case is requeued, and after the retry limit ends as error")
    func reaper() async throws {
        let clock = SchedulingClock.manual()
        try await withController(.set { $0.leaseTTLSeconds = 2 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "flaky", products: [fixture.simulatedInventory])
            let other = try await SimulatedNode.enroll(controller, name: "other", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["fragile"], retries: 1))
            let first = try #require(try await node.lease())
            // Nobody heartbeats: the lease expires and the reaper hands the case back (avoiding this node for a while).
            clock.advance(by: .seconds(3))
            try await controller.sweep()
            let second = try #require(try await other.lease())
            #expect(second.caseId == first.caseId && second.attempt == 2)
            #expect(try await node.finish(first, .passed).status == 409)
            // The second attempt is not renewed either: past the retry limit the case ends as error.
            clock.advance(by: .seconds(3))
            try await controller.sweep()
            let ended = try await controller.waitForTask(task.id)
            #expect(ended.counts.error == 1)
            let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(first.caseId)").decode(CaseDetail.self)
            #expect(detail.runs.map(\.outcome) == [.lost, .lost])
            #expect(detail.case.message?.contains("lost 2 times") == true)
            #expect(try await node.lease() == nil)
        }
    }

    @Test("a waiting lease request is woken by new work for its node, and only by work it can run")
    func wakeUp() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let elsewhere = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "waiter", products: [fixture.simulatedInventory])
            let bystander = try await SimulatedNode.enroll(controller, name: "bystander", products: [elsewhere.simulatedInventory])
            // One after the other, each once the one before waits: on a machine busy with the other suites a request
            // can take seconds to arrive, and the bystander's wait must not end before the submission.
            let waiting = Task { try await node.lease(wait: 20) }
            try await waitUntil("the long-poll waits", timeout: 30) { controller.services.waiters.suspended == 1 }
            let idle = Task { try await bystander.lease(wait: 8) }
            try await waitUntil("both long-polls wait", timeout: 30) { controller.services.waiters.suspended == 2 }
            let submitted = ContinuousClock.now
            _ = try await controller.submit(fixture.submission(["wake"]))
            let lease = try await waiting.value
            let latency = ContinuousClock.now - submitted
            #expect(lease?.caseName == "wake")
            // Woken, not answered at the end of its 20 s wait: the bound leaves room for a machine busy with the other
            // suites (a wake-up is measured by `Benchmarks/run`, not here).
            #expect(latency < .seconds(10), "woken after \(latency)")
            #expect(try await idle.value == nil)
        }
    }

    @Test("cases submitted while agents wait are leased to them by the statement that stores the task; a node without a free slot is passed over")
    func handOff() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let inventory = [fixture.simulatedInventory]
            let first = try await SimulatedNode.enroll(controller, name: "first", products: inventory)
            let second = try await SimulatedNode.enroll(controller, name: "second", products: inventory)
            let busy = try await SimulatedNode.enroll(controller, name: "busy", products: inventory)
            // The busy node's one slot runs a case; it asks for more all the same.
            _ = try await controller.submit(fixture.submission(["long"]))
            let running = try #require(try await busy.lease())
            let waiting = [first, second].map { node in Task { try await node.lease(wait: 20) } }
            let passedOver = Task { try await busy.lease(wait: 20) }
            // Submitted once all three wait.
            try await waitUntil("all three long-polls wait") { controller.services.waiters.suspended == 3 }

            let task = try await controller.submit(fixture.submission(["a", "b", "c"]))
            #expect(task.state == .running)
            #expect(task.counts.leased == 2 && task.counts.queued == 1)
            var leases: [Lease] = []
            for request in waiting { leases.append(try #require(try await request.value)) }
            #expect(Set(leases.map(\.caseName)) == ["a", "b"])
            #expect(leases.allSatisfy { $0.taskId == task.id && $0.attempt == 1 && $0.commandTemplate == "{tool_dir}/run.sh {case}" })
            let metrics = try await controller.admin.request(.GET, "/metrics").text
            #expect(metrics.contains("testfleet_leases_handed_total 2"))

            // A handed lease is like any other: renewed, fenced, finished.
            #expect(try await first.heartbeat(leases[0]).status == 200)
            #expect(try await first.finish(leases[0], .passed).status == 200)
            #expect(try await second.finish(leases[1], .passed).status == 200)
            // The third case was left for the busy node, which looked and found its slot taken.
            passedOver.cancel()
            _ = try? await passedOver.value
            try await busy.finish(running, .passed)
            let third = try #require(try await busy.lease())
            #expect(third.caseName == "c" && third.attempt == 1)
            // What the statement that stores a task hands out is what the lease statement would.
            #expect(third.commandTemplate == leases[0].commandTemplate)
            #expect(third.product == leases[0].product && third.tool == leases[0].tool && third.timeoutS == leases[0].timeoutS)
            try await busy.finish(third, .passed)
            let done = try await controller.task(task.id)
            #expect(done.state == .completed && done.counts.passed == 3)
        }
    }

    @Test(
        "a task with labels reaches the waiting node that has them, though nodes without them waited longer: handed by the submission, or woken on another replica",
        arguments: [false, true]
    )
    func labelledWorkWakesItsNode(otherReplica: Bool) async throws {
        try await withController { first in
            try await withController(databaseURL: first.databaseURL) { second in
                let waiting = otherReplica ? second : first
                let fixture = try await Fixture.make(first, script: "true")
                var polls: [Task<Lease?, any Error>] = []
                // Two nodes without the label wait first: they are the oldest waiters for the product and tool.
                for (index, labels) in [[], [], ["lab"]].enumerated() {
                    let node = try await SimulatedNode.enroll(
                        waiting,
                        name: "waiting-\(index)",
                        products: [fixture.simulatedInventory],
                        labels: labels
                    )
                    polls.append(Task { try await node.lease(wait: 60) })
                    try await waitUntil("poll \(index) waits") { waiting.services.waiters.suspended == index + 1 }
                }
                let task = try await first.submit(fixture.submission(["only-lab"], labels: ["lab"]))
                // Well before the polls end on their own.
                let lease = try await waitFor("the labelled node's poll to be answered", timeout: 30) {
                    try await first.task(task.id).counts.leased == 1 ? polls[2] : nil
                }
                #expect(try await lease.value?.caseName == "only-lab")
                for poll in polls.prefix(2) { poll.cancel() }
            }
        }
    }

    @Test("an agent that hangs up while it waits is not leased a case: the case goes to the next request at once")
    func hangUp() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "gone", products: [fixture.simulatedInventory])
            let abandoned = Task { try await node.lease(wait: 30) }
            try await waitUntil("the long-poll waits") { controller.services.waiters.suspended == 1 }
            abandoned.cancel()
            _ = try? await abandoned.value
            try await waitUntil("the controller notices the hang-up") { controller.services.waiters.count == 0 }
            _ = try await controller.submit(fixture.submission(["after-hang-up"]))
            let lease = try await node.lease(wait: 5)
            #expect(lease?.caseName == "after-hang-up")
            #expect(lease?.attempt == 1)
        }
    }

    @Test("a node that just found nothing is leased a task submitted or rerun on its controller at once, before the notification of it arrives")
    func newTaskEndsIdleMark() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "idle", products: [fixture.simulatedInventory])
            let services = controller.services
            let admin = Caller(userID: 1, name: "admin", role: .admin, address: nil)
            var last: Int64?
            // Each round: the node finds nothing (and is marked idle), a task arrives (every other one a rerun), and
            // the node asks again at once, as an agent does that polls without waiting. Straight after the task is
            // stored, its notification has seldom come back from the database.
            for round in 1...50 {
                #expect(try await services.dispatcher.awaitAssignment(node: node.id, wait: 0) == nil)
                let stored =
                    if let last, round.isMultiple(of: 2) {
                        try await services.rerun(taskID: last, RerunRequest(cases: .all, name: "round-\(round)"), by: admin)
                    } else {
                        try await services.submit(fixture.submission(["round-\(round)"], name: "round-\(round)"), userID: 1)
                    }
                last = stored.id
                guard case .run(let lease)? = try await services.dispatcher.awaitAssignment(node: node.id, wait: 0) else {
                    Issue.record("round \(round): the node was told there is nothing to run")
                    return
                }
                #expect(lease.taskId == stored.id)
                #expect(try await node.finish(lease, .passed).status == 200)
            }
        }
    }
}

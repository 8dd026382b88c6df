import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The agent when things go wrong: the controller away, the agent told to stop.
@Suite("Agent resilience", .serialized)
struct AgentResilienceTests {
    @Test("a node revoked on its web page: its agent ends with status 78 and says to enroll again")
    func revoked() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "echo ok")
            // A short long-poll: the agent hears of the revocation at its next lease request.
            try await withAgent(controller, name: "leaving", products: [fixture.inventory], extra: "lease_wait_s = 2") { agent in
                let task = try await controller.submit(fixture.submission(["before"]))
                #expect(try await controller.waitForTask(task.id).counts.passed == 1)
                let nodes = try await controller.admin.request(.GET, "/api/v1/nodes").decode(Page<NodeInfo>.self)
                let node = try #require(nodes.items.first { $0.name == "leaving" })

                let web = try WebClient(controller)
                try await web.logIn()
                let page = try await web.get("/nodes/\(node.id)")
                #expect(page.body.contains("href=\"/nodes/\(node.id)/revoke\""))
                let confirm = try await web.get("/nodes/\(node.id)/revoke")
                #expect(confirm.status == 200 && confirm.body.contains("Revoke the credential of leaving"))
                let revoked = try await web.post("/nodes/\(node.id)/revoke")
                #expect(revoked.status == 303 && revoked.location == "/nodes/\(node.id)")

                let status = await agent.waitForExit(timeout: 30)
                #expect(status == 78, "the agent did not end: \(agent.log.suffix(2000))")
                #expect(agent.log.contains("this node's credential was revoked"), "\(agent.log.suffix(2000))")
                #expect(agent.log.contains("enroll again"))
                let after = try await controller.admin.request(.GET, "/api/v1/nodes/\(node.id)").decode(NodeInfo.self)
                #expect(after.revoked && after.state == .disabled)
                // Run again with the revoked credential, it stops at once with the same message.
                let rerun = try await agent.command(["run", "--config", agent.config.path])
                #expect(rerun.status == 78 && rerun.output.contains("this node's credential was revoked"), "\(rerun.output)")
            }
        }
    }

    @Test("a result is spooled while the controller is away and delivered when it is back")
    func spool() async throws {
        try await withController { first in
            // The case ends only once the test opens the gate, after the controller has stopped: a controller
            // that takes a while to stop still answers requests on open connections, and would take the result.
            let gate = FileManager.default.temporaryDirectory.appendingPathComponent("tf-gate-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: gate) }
            let fixture = try await Fixture.make(first, script: "echo before; while [ ! -e '\(gate.path)' ]; do sleep 0.1; done; echo after")
            try await withAgent(first, name: "patient", products: [fixture.inventory]) { agent in
                let task = try await first.submit(fixture.submission(["survives-outage"]))
                let caseID = try await first.cases(task.id)[0].id
                _ = try await first.waitForCase(caseID) { $0.case.state == .running }
                let port = first.port
                await first.stop()
                _ = FileManager.default.createFile(atPath: gate.path, contents: nil)
                // The case ends while nobody listens; the agent keeps its log and result on disk.
                let spool = agent.directory.appendingPathComponent("agent-data/spool")
                try await waitUntil("the result is spooled", timeout: 30, every: .milliseconds(100)) {
                    let entries = (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
                    return entries.contains { FileManager.default.fileExists(atPath: spool.path + "/" + $0 + "/result.json") }
                }
                let restarted = ConfigurationChange.set {
                    $0.port = port
                    $0.adminPassword = nil
                }
                try await withController(restarted, databaseURL: first.databaseURL, dataDirectory: first.dataDirectory) { second in
                    let ended = try await second.waitForTask(task.id, timeout: 60)
                    #expect(ended.counts.passed == 1)
                    let log = try await second.log(caseID)
                    #expect(log.contains("before") && log.contains("after"))
                    let detail = try await second.admin.request(.GET, "/api/v1/cases/\(caseID)").decode(CaseDetail.self)
                    #expect(detail.runs.count == 1)
                }
            }
        }
    }

    @Test(
        "SIGTERM: nothing more is leased, a running case gets the grace period, then is stopped and handed back: queued again, on any node, using no retry, with no harm to its node"
    )
    func gracefulStop() async throws {
        let settings = ConfigurationChange.set {
            $0.nodeMaxInfraFailures = 2
            $0.retryAvoidSeconds = 0
        }
        try await withController(settings) { controller in
            // The quick case outlasts the first heartbeat, which shows it running, and ends within the grace period.
            // The long one outlasts the grace period at its first attempt, fails on infrastructure at its second
            // (exit 127: command not found), and passes at its third.
            let fixture = try await Fixture.make(
                controller,
                script: #"case $1 in quick) sleep 3 ;; *) case $TESTFLEET_ATTEMPT in 1) sleep 30 ;; 2) exit 127 ;; esac ;; esac"#
            )
            try await withAgent(
                controller,
                name: "stopping-quick",
                products: [fixture.inventory],
                extra: "shutdown_grace_s = 10"
            ) { quick in
                let task = try await controller.submit(fixture.submission(["quick"]))
                _ = try await controller.waitForCase(try await controller.cases(task.id)[0].id) { $0.case.state == .running }
                // A case shorter than the grace period finishes normally.
                #expect(await quick.terminate(timeout: 20) == 0)
                #expect(try await controller.waitForTask(task.id).counts.passed == 1)

                try await withAgent(
                    controller,
                    name: "stopping-slow",
                    products: [fixture.inventory],
                    extra: "shutdown_grace_s = 1\nkill_grace_s = 1"
                ) { slow in
                    // One retry allowed, and two infrastructure failures disable a node: a hand-back is neither.
                    let long = try await controller.submit(fixture.submission(["long"], retries: 1))
                    let longID = try await controller.cases(long.id)[0].id
                    _ = try await controller.waitForCase(longID) { $0.case.state == .running }
                    let started = Date()
                    #expect(await slow.terminate(timeout: 20) == 0)
                    #expect(Date().timeIntervalSince(started) < 10)
                    let detail = try await controller.waitForCase(longID) { $0.case.state == .queued }
                    #expect(detail.runs.last?.outcome == .error)
                    #expect(detail.runs.last?.message?.contains("shut down") == true)
                    #expect(detail.case.message?.hasPrefix("handed back by node") == true, "\(detail.case.message ?? "")")
                    let nodeID = try #require(detail.runs.last?.node.id)
                    let node = try await controller.admin.request(.GET, "/api/v1/nodes/\(nodeID)").decode(NodeInfo.self)
                    #expect(node.state != .disabled, "\(node.stateReason ?? "")")
                    // The same agent started again runs it: its infrastructure failure is the first its retry
                    // limit counts, so it is retried, and passes.
                    try slow.run()
                    let done = try await controller.waitForTask(long.id)
                    #expect(done.counts.passed == 1, "\(done.counts)")
                    let runs = try await controller.admin.request(.GET, "/api/v1/cases/\(longID)").decode(CaseDetail.self).runs
                    #expect(runs.map(\.outcome) == [.error, .error, .passed])
                    #expect(runs.allSatisfy { $0.node.id == nodeID })
                    // The metrics count the hand-back apart from the real infrastructure failure.
                    for (status, count) in [("handed_back", 1), ("error", 1), ("passed", 2)] {
                        let name = #"testfleet_case_results_total{status=""# + status + #""}"#
                        #expect(try await ReplicaTests.counter(name, of: controller) == count, "\(status)")
                    }
                }
            }
        }
    }

    @Test("agent status shows enrollment, reachability, inventory and running cases")
    func status() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "sleep 5")
            try await withAgent(controller, name: "reporting", products: [fixture.inventory]) { agent in
                let task = try await controller.submit(fixture.submission(["visible"]))
                _ = try await controller.waitForCase(try await controller.cases(task.id)[0].id) { $0.case.state == .running }
                let status = try await agent.command(["status", "--config", agent.config.path])
                #expect(status.status == 0)
                #expect(status.output.contains("reachable:   yes; node") && status.output.contains("is online"))
                #expect(status.output.contains("case") && status.output.contains("visible"))
                #expect(status.output.contains("\(fixture.product.name) \(fixture.product.version) at"))
                let missing = try await agent.command(["status", "--config", "/nonexistent/agent.toml"])
                #expect(missing.status != 0 && missing.output.contains("not enrolled"))
            }
        }
    }

    @Test("after the controllers were away longer than a lease lasts, agents get a lease's time to renew before anything is lost")
    func outageLongerThanLease() async throws {
        let clock = SchedulingClock.manual()
        let settings = ConfigurationChange.set {
            $0.leaseTTLSeconds = 10
            $0.nodeOfflineAfterSeconds = 20
        }
        try await withController(settings, clock: clock) { first in
            let fixture = try await Fixture.make(first, script: "true")
            let busy = try await SimulatedNode.enroll(first, name: "busy", products: [fixture.simulatedInventory])
            let gone = try await SimulatedNode.enroll(first, name: "gone", products: [fixture.simulatedInventory])
            let task = try await first.submit(fixture.submission(["kept", "lost"]))
            let kept = try #require(try await busy.lease())
            let lost = try #require(try await gone.lease())
            // Every controller stops for longer than a lease lasts and a node may be silent; one starts again.
            await first.stop()
            clock.advance(by: .seconds(30))
            try await withController(settings, clock: clock, databaseURL: first.databaseURL) { second in
                func state(of lease: Lease) async throws -> CaseState {
                    try await second.admin.request(.GET, "/api/v1/cases/\(lease.caseId)").decode(CaseDetail.self).case.state
                }
                func node(_ node: SimulatedNode) async throws -> NodeState {
                    try await second.admin.request(.GET, "/api/v1/nodes/\(node.id)").decode(NodeInfo.self).state
                }
                try await second.sweep()
                #expect(try await state(of: kept) == .leased)
                #expect(try await state(of: lost) == .leased)
                #expect(try await node(busy) == .online)
                #expect(try await node(gone) == .online)
                // The agent that is still there renews its lease; the other stays silent.
                let agent = try second.client(bearer: busy.credential)
                let path = "/api/v1/agent/leases/\(kept.leaseId.uuidString.lowercased())"
                #expect(try await agent.request(.POST, path + "/heartbeat", json: HeartbeatRequest(token: kept.token)).status == 200)
                clock.advance(by: .seconds(8))
                #expect(try await agent.request(.POST, path + "/heartbeat", json: HeartbeatRequest(token: kept.token)).status == 200)
                clock.advance(by: .seconds(3))
                try await second.sweep()
                #expect(try await state(of: kept) == .running)
                #expect(try await state(of: lost) == .queued, "a lease not renewed a lease's time after the return is lost")
                let result = CaseResult(token: kept.token, status: .passed, exitCode: 0, durationMs: 100, message: nil)
                #expect(try await agent.request(.POST, path + "/result", json: result).status == 200)
                // The silent node is offline once it has been silent for as long after the return.
                clock.advance(by: .seconds(10))
                try await second.sweep()
                #expect(try await node(gone) == .offline)
                #expect(try await node(busy) == .online)
                let progress = try await second.admin.request(.GET, "/api/v1/tasks/\(task.id)").decode(TaskInfo.self)
                #expect(progress.counts.passed == 1 && progress.counts.queued == 1)
            }
        }
    }

    @Test("a node that only renews its lease, sends its log and posts results while its slot is busy stays online")
    func busyNodeStaysOnline() async throws {
        let clock = SchedulingClock.manual()
        try await withController(.set { $0.nodeOfflineAfterSeconds = 5 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "busy", products: [fixture.simulatedInventory])
            _ = try await controller.submit(fixture.submission(["long", "next"]))
            let lease = try #require(try await node.lease())
            // Each step is 3 s of silence but for the one request, against 5 s after which a node is offline.
            let contacts: [(String, () async throws -> APIAnswer)] = [
                ("heartbeat", { try await node.heartbeat(lease) }),
                ("log", { try await node.log(lease, offset: 0, "still going\n") }),
                ("heartbeat", { try await node.heartbeat(lease) }),
                ("result", { try await node.finish(lease, .passed) }),
            ]
            for (what, contact) in contacts {
                clock.advance(by: .seconds(3))
                #expect(try await contact().status == 200, "\(what)")
                try await controller.flushPresence()
                try await controller.sweep()
                let state = try await controller.admin.request(.GET, "/api/v1/nodes/\(node.id)").decode(NodeInfo.self).state
                #expect(state == .online, "after its \(what), 3 s later")
            }
            #expect(try await node.lease()?.caseName == "next")
        }
    }

    @Test("a node nobody hears from goes offline and comes back when its agent asks again, in time to lease")
    func offline() async throws {
        let clock = SchedulingClock.manual()
        try await withController(.set { $0.nodeOfflineAfterSeconds = 5 }, clock: clock) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "quiet", products: [fixture.simulatedInventory])
            clock.advance(by: .seconds(4))
            try await controller.sweep()
            #expect(try await controller.admin.request(.GET, "/api/v1/nodes/\(node.id)").decode(NodeInfo.self).state == .online)
            clock.advance(by: .seconds(2))
            try await controller.sweep()
            #expect(try await controller.admin.request(.GET, "/api/v1/nodes/\(node.id)").decode(NodeInfo.self).state == .offline)
            // Its visit is written at once, not with the next batch: the node is online for its own request.
            _ = try await controller.submit(fixture.submission(["back"]))
            #expect(try await node.lease()?.caseName == "back")
            #expect(try await controller.admin.request(.GET, "/api/v1/nodes/\(node.id)").decode(NodeInfo.self).state == .online)
        }
    }
}

import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Kills and restarts parts of the system under load, then checks in SQL that nothing was lost or done twice.
@Suite("Fault injection", .serialized)
struct FaultInjectionTests {
    /// Waits until a tenth of the task's cases have passed: what is broken next breaks it mid-run.
    static func waitUntilUnderWay(_ controller: some ControllerEndpoint, _ taskID: Int64, of cases: Int) async throws {
        try await waitUntil("task \(taskID) under way", timeout: 120, every: .milliseconds(100)) {
            try await controller.task(taskID).counts.passed >= max(1, cases / 10)
        }
    }

    /// The invariants that must hold once a task has ended, whatever failed on the way.
    static func checkInvariants(database: Database, taskID: Int64) async throws {
        let states = try await database.query(
            "SELECT state, count(*)::int FROM cases WHERE task_id = \(taskID) GROUP BY state"
        ).all().map { try $0.decode((String, Int).self) }
        #expect(states.map(\.0) == ["passed"], "every case passed exactly: \(states)")
        // Never two open leases on one case, and no open lease left.
        let open = try await database.query(
            """
            SELECT count(*)::int FROM case_runs r JOIN cases k ON k.id = r.case_id
            WHERE k.task_id = \(taskID) AND r.outcome IS NULL
            """
        ).collect(Int.self)[0]
        #expect(open == 0, "runs still open")
        // Each case ended once: exactly one run with its final outcome; every other run is accounted for as lost or
        // an infrastructure error, and the attempt count matches the runs.
        let broken = try await database.query(
            """
            SELECT k.name, k.attempts, count(r.id)::int, count(r.id) FILTER (WHERE r.outcome = 'passed')::int,
                   count(r.id) FILTER (WHERE r.outcome NOT IN ('passed', 'lost', 'error'))::int
            FROM cases k LEFT JOIN case_runs r ON r.case_id = k.id
            WHERE k.task_id = \(taskID)
            GROUP BY k.id, k.name, k.attempts
            HAVING count(r.id) FILTER (WHERE r.outcome = 'passed') <> 1
                OR count(r.id) <> k.attempts
                OR count(r.id) FILTER (WHERE r.outcome NOT IN ('passed', 'lost', 'error')) > 0
            """
        ).all().map { try $0.decode((String, Int, Int, Int, Int).self) }
        #expect(broken.isEmpty, "cases with inconsistent runs: \(broken.prefix(5))")
        try await RunningCounts.expectExact(database: database)
    }

    @Test("an agent killed right after posting a result that asked for its next case: nothing lost or done twice")
    func killAfterResultWithNext() async throws {
        try await withController(
            .set {
                $0.leaseTTLSeconds = 3
                $0.heartbeatIntervalSeconds = 1
                $0.retryAvoidSeconds = 0
            }
        ) { controller in
            let fixture = try await Fixture.make(controller, script: "echo \"$1\"; sleep 0.2")
            try await withAgent(controller, name: "victim", products: [fixture.inventory], slots: 1) { agent in
                let task = try await controller.submit(fixture.submission((1...6).map { "after-\($0)" }, retries: 5))
                let database = controller.services.database
                // The moment a result that asked for more has its answer's lease recorded, kill the agent. The lease is
                // recorded by the result's own statement, or just after it when the node's next assignment was waited for.
                try await waitUntil("a result whose answer handed out a lease", timeout: 30) {
                    try await database.query(
                        """
                        SELECT count(*)::int FROM case_runs r JOIN case_runs n ON n.id = r.next_run_id JOIN cases k ON k.id = r.case_id
                        WHERE k.task_id = \(task.id)
                        """
                    ).collect(Int.self)[0] > 0
                }
                agent.kill9()
                agent.killLeftoverCases()
                try agent.run()
                let ended = try await controller.waitForTask(task.id, timeout: 60)
                _ = await agent.terminate()
                #expect(ended.state == .completed)
                try await Self.checkInvariants(database: database, taskID: task.id)
            }
        }
    }

    @Test("agents killed with SIGKILL again and again mid-case: every case still passes exactly once")
    func killAgents() async throws {
        try await withController(
            .set {
                $0.leaseTTLSeconds = 3
                $0.heartbeatIntervalSeconds = 1
                $0.retryAvoidSeconds = 0
            }
        ) { controller in
            let fixture = try await Fixture.make(controller, script: "echo \"$1 on $(hostname)\"; sleep 0.4")
            var agents: [TestAgent] = []
            for index in 0..<4 {
                agents.append(try await TestAgent.start(controller, name: "victim-\(index)", products: [fixture.inventory], slots: 2))
            }
            try await finishing(agents) {
                let task = try await controller.submit(fixture.submission((1...60).map { "case-\($0)" }, retries: 20))
                var kills = 0
                var passed = 0
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline {
                    // A kill each time the fleet has got somewhere: about a round of cases on its eight slots.
                    let now = try await waitFor("more cases to pass", timeout: 60, every: .milliseconds(100)) {
                        let current = try await controller.task(task.id)
                        return current.state.isTerminal || current.counts.passed >= passed + 8 ? current : nil
                    }
                    if now.state.isTerminal { break }
                    passed = now.counts.passed
                    let victim = agents[kills % agents.count]
                    victim.kill9()
                    victim.killLeftoverCases()
                    kills += 1
                    try victim.run()
                }
                for agent in agents { _ = await agent.terminate() }
                let ended = try await controller.waitForTask(task.id, timeout: 60)
                #expect(ended.state == .completed && kills >= 3)
                try await Self.checkInvariants(database: controller.services.database, taskID: task.id)
                let lost = try await controller.services.database.query(
                    "SELECT count(*)::int FROM case_runs r JOIN cases k ON k.id = r.case_id WHERE k.task_id = \(task.id) AND r.outcome = 'lost'"
                ).collect(Int.self)[0]
                print("fault injection: \(kills) agents killed, \(lost) runs lost and recovered")
            }
        }
    }

    @Test("the controller killed with SIGKILL under load and started again; then its PostgreSQL restarted under load")
    func killControllerAndRestartDatabase() async throws {
        let controller = try ControllerProcess.start(settings: [
            "lease_ttl_s=4", "heartbeat_interval_s=1", "reaper_interval_s=0.5", "retry_avoid_s=0", "log_level=debug",
        ])
        do {
            try await killControllerAndRestartDatabase(controller)
        } catch {
            let log = (try? String(contentsOf: controller.dataDirectory.appendingPathComponent("controller.log"), encoding: .utf8)) ?? ""
            await controller.stop(keepData: true)
            throw TestFailure(
                "\(error); the controller's data directory is kept in \(controller.dataDirectory.path); its log ends with: \(log.suffix(1500))"
            )
        }
        let stopped = await controller.stop(keepData: true)
        let log = (try? String(contentsOf: controller.dataDirectory.appendingPathComponent("controller.log"), encoding: .utf8)) ?? ""
        #expect(stopped, "the controller did not stop within 20 s of SIGTERM; its log ends with: \(log.suffix(3000))")
        if stopped { try? FileManager.default.removeItem(at: controller.dataDirectory) }
    }

    /// The size of the run under a controller kill and a database restart. CI runs the short form;
    /// `TESTFLEET_FAULT_SCALE=full` runs 50 agents and 10,000 cases per phase.
    struct Scale {
        var agents: Int
        var slots: Int
        var cases: Int
        var script: String

        static var current: Scale {
            ProcessInfo.processInfo.environment["TESTFLEET_FAULT_SCALE"] == "full"
                ? Scale(agents: 50, slots: 1, cases: 10_000, script: "echo \"$1\"")
                : Scale(agents: 3, slots: 2, cases: 60, script: "echo \"$1\"; sleep 0.3")
        }
    }

    private func killControllerAndRestartDatabase(_ controller: ControllerProcess) async throws {
        let scale = Scale.current
        let remote = try await controller.connect()
        let fixture = try await Fixture.make(remote, script: scale.script)
        let agents = try await withThrowingTaskGroup(of: TestAgent.self) { group in
            for index in 0..<scale.agents {
                group.addTask {
                    try await TestAgent.start(remote, name: "steady-\(index)", products: [fixture.inventory], slots: scale.slots)
                }
            }
            return try await group.reduce(into: [TestAgent]()) { $0.append($1) }
        }
        try await finishing(agents) {
            let timeout = Double(max(120, scale.cases / 20))

            // SIGKILL the controller in the middle of a task and start it again on the same data directory.
            let started = Date()
            let first = try await remote.submit(fixture.submission((1...scale.cases).map { "a-\($0)" }, retries: 20))
            try await Self.waitUntilUnderWay(remote, first.id, of: scale.cases)
            controller.kill9()
            // An outage, not a wait: for two seconds the agents find nobody there.
            try await Task.sleep(for: .seconds(2))
            try controller.restart()
            try await remote.waitForTask(first.id, timeout: timeout)

            // Restart PostgreSQL under load.
            let second = try await remote.submit(fixture.submission((1...scale.cases).map { "b-\($0)" }, retries: 20))
            try await Self.waitUntilUnderWay(remote, second.id, of: scale.cases)
            _ = try await Blocking.run { controller.cluster.stop() }
            // An outage, not a wait: for two seconds the controller finds no database.
            try await Task.sleep(for: .seconds(2))
            _ = try await Blocking.run { try controller.cluster.start() }
            try await remote.waitForTask(second.id, timeout: timeout)

            // The reaper outlived the restart: a lease left to expire comes back to the queue.
            for agent in agents { _ = await agent.terminate() }
            let quiet = try await SimulatedNode.enroll(remote, name: "quiet", products: [fixture.simulatedInventory])
            let third = try await remote.submit(fixture.submission(["c-1"]))
            let abandoned = try #require(try await quiet.lease(wait: 10))
            let again = try #require(try await quiet.lease(wait: 40), "the expired lease was not reaped")
            #expect(again.caseId == abandoned.caseId && again.attempt == abandoned.attempt + 1)
            try await quiet.finish(again, .passed)
            try await remote.waitForTask(third.id, timeout: 30)

            let connection = try await Blocking.run { try controller.cluster.start() }
            try await PostgresClientRunner(configuration: try DatabaseURL.parse(connection.url), logger: .init(label: "tests")).run { client in
                let database = Database(client: client, logger: .init(label: "tests"), metrics: ControllerMetrics())
                for task in [first.id, second.id, third.id] { try await Self.checkInvariants(database: database, taskID: task) }
                let lost = try await database.query(
                    "SELECT count(*)::int FROM case_runs r JOIN cases k ON k.id = r.case_id WHERE k.task_id IN (\(first.id), \(second.id)) AND r.outcome = 'lost'"
                ).collect(Int.self)[0]
                print(
                    "fault injection: \(scale.agents) agents, 2 × \(scale.cases) cases through a controller SIGKILL and a PostgreSQL restart"
                        + " in \(Int(Date().timeIntervalSince(started))) s; \(lost) runs lost and recovered"
                )
            }
        }
    }
}

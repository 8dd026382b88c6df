import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Kills and restarts parts of the system under load, then checks in SQL that nothing was lost or done twice.
@Suite("Fault injection", .serialized)
struct FaultInjectionTests {
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
    }

    @Test("agents killed with SIGKILL again and again mid-case: every case still passes exactly once")
    func killAgents() async throws {
        let controller = try await TestController.start {
            $0.leaseTTLSeconds = 3
            $0.heartbeatIntervalSeconds = 1
            $0.retryAvoidSeconds = 0
        }
        defer { Task { await controller.stop() } }
        let fixture = try await Fixture.make(controller, script: "echo \"$1 on $(hostname)\"; sleep 0.4")
        var agents: [TestAgent] = []
        for index in 0..<4 {
            agents.append(try await TestAgent.start(controller, name: "victim-\(index)", products: [fixture.inventory], slots: 2))
        }
        let task = try await controller.submit(fixture.submission((1...60).map { "case-\($0)" }, retries: 20))
        var kills = 0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if try await controller.task(task.id).state.isTerminal { break }
            try await Task.sleep(for: .milliseconds(1500))
            let victim = agents[kills % agents.count]
            victim.kill9()
            victim.killLeftoverCases()
            kills += 1
            try victim.run()
        }
        for agent in agents { agent.terminate() }
        let ended = try await controller.waitForTask(task.id, timeout: 60)
        #expect(ended.state == .completed && kills >= 3)
        try await Self.checkInvariants(database: controller.services.database, taskID: task.id)
        let lost = try await controller.services.database.query(
            "SELECT count(*)::int FROM case_runs r JOIN cases k ON k.id = r.case_id WHERE k.task_id = \(task.id) AND r.outcome = 'lost'"
        ).collect(Int.self)[0]
        print("fault injection: \(kills) agents killed, \(lost) runs lost and recovered")
    }

    @Test("the controller killed with SIGKILL under load and started again; then its PostgreSQL restarted under load")
    func killControllerAndRestartDatabase() async throws {
        let controller = try ControllerProcess.start(settings: [
            "lease_ttl_s=4", "heartbeat_interval_s=1", "reaper_interval_s=0.5", "retry_avoid_s=0",
        ])
        do {
            try await killControllerAndRestartDatabase(controller)
        } catch {
            let log = (try? String(contentsOf: controller.dataDirectory.appendingPathComponent("controller.log"), encoding: .utf8)) ?? ""
            await controller.stop()
            throw TestFailure("\(error); the controller's log ends with: \(log.suffix(1500))")
        }
        await controller.stop()
    }

    private func killControllerAndRestartDatabase(_ controller: ControllerProcess) async throws {
        let remote = try await controller.connect()
        let fixture = try await Fixture.make(remote, script: "echo \"$1\"; sleep 0.3")
        var agents: [TestAgent] = []
        for index in 0..<3 {
            agents.append(try await TestAgent.start(remote, name: "steady-\(index)", products: [fixture.inventory], slots: 2))
        }
        defer { for agent in agents { agent.terminate() } }

        // SIGKILL the controller in the middle of a task and start it again on the same data directory.
        let first = try await remote.submit(fixture.submission((1...60).map { "a-\($0)" }, retries: 20))
        try await Task.sleep(for: .seconds(3))
        controller.kill9()
        try await Task.sleep(for: .seconds(2))
        try controller.restart()
        try await remote.waitForTask(first.id, timeout: 120)

        // Restart PostgreSQL under load.
        let second = try await remote.submit(fixture.submission((1...60).map { "b-\($0)" }, retries: 20))
        try await Task.sleep(for: .seconds(3))
        _ = try await Blocking.run { controller.cluster.stop() }
        try await Task.sleep(for: .seconds(2))
        _ = try await Blocking.run { try controller.cluster.start() }
        try await remote.waitForTask(second.id, timeout: 120)

        let connection = try await Blocking.run { try controller.cluster.start() }
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(connection.url), logger: .init(label: "tests")).run { client in
            let database = Database(client: client, logger: .init(label: "tests"), metrics: ControllerMetrics())
            for task in [first.id, second.id] { try await Self.checkInvariants(database: database, taskID: task) }
        }
    }
}

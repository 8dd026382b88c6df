import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Stopping a controller process that has clients connected, and what its clients do while it is gone.
@Suite("Controller shutdown and restart, as its clients see them", .serialized)
struct ControllerShutdownTests {
    @Test(
        """
        SIGTERM with an agent waiting for work and an API client connected: the controller ends within 4 s, not 5 s \
        or more waiting for its clients' TLS close_notify; the agent, answered that its result is recorded, then ends \
        within 5 s of its own SIGTERM with nothing left in its spool
        """
    )
    func stopsPromptlyWithClients() async throws {
        try await withControllerProcess { controller in
            let remote = try await controller.connect()
            let fixture = try await Fixture.make(remote, script: "echo \"$1\"")
            let ended = try await withAgent(remote, name: "waiting", products: [fixture.inventory]) { agent in
                let task = try await remote.submit(fixture.submission(["one"]))
                #expect(try await remote.waitForTask(task.id).counts.passed == 1)
                // The agent's result asked for its next case: its connection now carries that wait. The admin
                // client's connection sits idle in its pool.
                let ended = await controller.stop(keepData: true, within: 4)
                // Its result was answered before the controller ended, so it has nothing left to deliver and only
                // asks for work, which a stop ends at once.
                let status = await agent.terminate(timeout: 5)
                #expect(status == 0, "the agent did not end within 5 s of SIGTERM; its log ends with: \(agent.log.suffix(2000))")
                // Entries are named by lease; the agent keeps spare directories of its own, named with a dot.
                let spool = agent.directory.appendingPathComponent("agent-data/spool")
                let left = ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).filter { !$0.hasPrefix(".") }
                #expect(left.isEmpty, "left in the spool: \(left)")
                return ended
            }
            let log = (try? String(contentsOf: controller.dataDirectory.appendingPathComponent("controller.log"), encoding: .utf8)) ?? ""
            #expect(ended, "the controller did not end within 4 s of SIGTERM; its log ends with: \(log.suffix(2000))")
            try? FileManager.default.removeItem(at: controller.dataDirectory)
        }
    }

    @Test(
        "testfleet task wait rides out a controller killed and started again: it says so, and exits 0 when the task passes"
    )
    func waitRidesOutARestart() async throws {
        try await withControllerProcess { controller in
            let remote = try await controller.connect()
            // The cases end only once the test opens the gate, after the restart: the task cannot end first.
            let gate = FileManager.default.temporaryDirectory.appendingPathComponent("tf-gate-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: gate) }
            let fixture = try await Fixture.make(remote, script: "while [ ! -e '\(gate.path)' ]; do sleep 0.1; done; echo \"$1\"")
            try await withAgent(remote, name: "steady", products: [fixture.inventory]) { _ in
                let task = try await remote.submit(fixture.submission((1...4).map { "case-\($0)" }))
                let cli = try TestCLI.loggedIn(to: remote)
                let errors = cli.home.appendingPathComponent("wait-errors")
                let waiting = Task { try await cli.run(["task", "wait", String(task.id)], errors: errors) }
                func said(_ text: String) -> Bool { ((try? String(contentsOf: errors, encoding: .utf8)) ?? "").contains(text) }
                try await waitUntil("the wait's first line", timeout: 30, every: .milliseconds(50)) { said("task \(task.id)") }

                controller.kill9()
                try await waitUntil("the wait to notice", timeout: 30, every: .milliseconds(50)) { said("controller unavailable") }
                try controller.restart()
                _ = FileManager.default.createFile(atPath: gate.path, contents: nil)
                let waited = try await waiting.value
                #expect(waited.status == 0, "\(waited)")
                #expect(waited.stderr.contains("controller is back"), "\(waited)")
                #expect(try await remote.task(task.id).counts.passed == 4)
            }
            #expect(await controller.stop())
        }
    }

    @Test(
        """
        an agent that keeps finding the controller's database down waits longer and longer before asking again, \
        and SIGTERM ends such a wait at once: the agent ends within 2 s, where its wait by then is 2.5 to 5 s
        """
    )
    func agentStopsDuringItsBackoff() async throws {
        // Long polls of a second, so that the agent soon asks again and meets the outage.
        try await withControllerProcess(settings: ["lease_wait_s=1"]) { controller in
            let remote = try await controller.connect()
            try await withAgent(remote, name: "patient", products: []) { agent in
                try await waitUntil("the agent's inventory", timeout: 30, every: .milliseconds(50)) {
                    agent.log.contains("inventory reported")
                }
                _ = try await Blocking.run { controller.cluster.stop() }
                // A request is refused at once while the database is away; the agent's wait before the next one
                // doubles each time, from 100 ms up to 5 s, and after its seventh refusal lasts 2.5 to 5 s.
                try await waitUntil("the agent's seventh refused request", timeout: 60, every: .milliseconds(20)) {
                    agent.log.components(separatedBy: "lease request failed").count > 7
                }
                let status = await agent.terminate(timeout: 2)
                #expect(status == 0, "the agent did not end within 2 s of SIGTERM; its log ends with: \(agent.log.suffix(2000))")
            }
        }
    }
}

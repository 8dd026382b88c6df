import Foundation
import Logging
import Testing

@testable import testfleet_controller

@Suite("The demo command")
struct DemoCommandTests {
    @Test(
        "testfleet-controller demo prints where to watch at once and each task's final counts as the tasks end, into a file too, and stops on SIGTERM"
    )
    func demo() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tf-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let demoData = data.appendingPathComponent("demo")
        let output = data.appendingPathComponent("demo.out")
        let port = try PortProbe.freePort()
        let pid = try AgentProcesses().startReturningPID(
            executable: ControllerProcess.binary,
            arguments: ["demo", "--data-dir", demoData.path, "--port", String(port)],
            log: output
        )
        var failure: (any Error)?
        do {
            let printed = { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
            // The demo runs on until it is stopped: what it prints reaches the file only as it goes.
            try await waitUntil("the demo's address", timeout: 120, every: .milliseconds(100)) {
                printed().contains("Testfleet demo: controller at https://localhost:\(port)")
            }
            let text = try await waitFor("the demo's final counts", timeout: 240, every: .milliseconds(200)) {
                let text = printed()
                return text.contains("press Ctrl-C to stop it") ? text : nil
            }
            #expect(text.contains("task 1 demo-shop 1.0 regression: 17 cases — passed 14, failed 2, error 0, timed out 0, skipped 1"), "\(text)")
            #expect(text.contains("task 2 demo-shop 2.0 smoke: 8 cases — passed 7, failed 1, error 0, timed out 0, skipped 0"), "\(text)")
        } catch {
            failure = error
        }
        let ended = await Self.stop(pid, data: demoData)
        if let failure { throw failure }
        #expect(ended, "the demo did not end within 30 s of SIGTERM")
    }

    /// SIGTERM, as Ctrl-C would; when the demo does not end in time, kills it, its agents and its PostgreSQL.
    static func stop(_ pid: pid_t, data: URL) async -> Bool {
        kill(pid, SIGTERM)
        let ended =
            (try? await waitUntil("the demo to end", timeout: 30, every: .milliseconds(50)) {
                var status: Int32 = 0
                return waitpid(pid, &status, WNOHANG) == pid
            }) != nil
        if !ended {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            _ = try? await ProcessRunner.run("/usr/bin/pkill", ["-KILL", "-f", data.path])
            try? EmbeddedPostgres(dataDirectory: data, logger: Logger(label: "tests")).stop()
        }
        return ended
    }
}

import ControllerClient
import Foundation
import Logging
import Synchronization
import WireProtocol

@testable import testfleet_controller

/// `testfleet-controller serve` as a process of its own on its embedded PostgreSQL, for tests that kill it.
final class ControllerProcess: Sendable {
    let dataDirectory: URL
    let port: Int
    let arguments: [String]
    let cluster: EmbeddedPostgres
    private let pid: Mutex<pid_t>
    /// Whether ``stop(keepData:within:)`` found the controller ended in time, once it has run.
    private let stopped = Mutex<Bool?>(nil)

    static var binary: String { TestAgent.binary.deletingLastPathComponent().appendingPathComponent("testfleet-controller").path }

    /// Starts a controller with `settings` (`key=value`) on a fresh data directory.
    static func start(settings: [String]) throws -> ControllerProcess {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tf-process-\(UUID().uuidString)")
        let port = try PortProbe.freePort()
        let arguments =
            ["serve", "--data-dir", data.path, "--host", "127.0.0.1", "--port", String(port)]
            + settings.flatMap { ["--set", $0] }
        return try ControllerProcess(data: data, port: port, arguments: arguments)
    }

    private init(data: URL, port: Int, arguments: [String]) throws {
        dataDirectory = data
        self.port = port
        self.arguments = arguments
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        cluster = try EmbeddedPostgres(dataDirectory: data, logger: Logger(label: "tests"))
        pid = Mutex(
            try AgentProcesses().startReturningPID(executable: Self.binary, arguments: arguments, log: data.appendingPathComponent("controller.log"))
        )
    }

    var url: String { "https://127.0.0.1:\(port)" }

    /// Waits for the controller to answer and returns it with an admin token.
    func connect() async throws -> RemoteController {
        let found = try? await waitFor("the controller process to come up", timeout: 60, every: .milliseconds(100)) {
            () -> (ca: String, token: String)? in
            guard let ca = try? String(contentsOf: dataDirectory.appendingPathComponent("tls/ca.crt"), encoding: .utf8),
                let password = try? String(contentsOf: dataDirectory.appendingPathComponent("initial-admin-password"), encoding: .utf8)
            else { return nil }
            let anonymous = TestClients.keep(try ControllerClient(baseURL: url, caCertificatePEM: ca, bearer: nil))
            let basic = "Basic " + Data("admin:\(password.trimmingCharacters(in: .whitespacesAndNewlines))".utf8).base64EncodedString()
            guard let answer = try? await anonymous.request(.POST, "/api/v1/tokens", json: TokenInput(), headers: [("Authorization", basic)]),
                answer.status == 201
            else { return nil }
            return (ca, try answer.decode(CreatedToken.self).token)
        }
        guard let found else {
            throw TestFailure(
                "the controller process did not come up: \(String((try? String(contentsOf: dataDirectory.appendingPathComponent("controller.log"), encoding: .utf8))?.suffix(500) ?? ""))"
            )
        }
        let admin = TestClients.keep(try ControllerClient(baseURL: url, caCertificatePEM: found.ca, bearer: found.token))
        return try RemoteController(url: url, client: admin, adminToken: found.token, dataDirectory: dataDirectory)
    }

    /// SIGKILL, as when the machine dies; its PostgreSQL keeps running.
    func kill9() {
        let current = pid.withLock { pid in
            defer { pid = 0 }
            return pid
        }
        guard current > 0 else { return }
        kill(current, SIGKILL)
        var status: Int32 = 0
        waitpid(current, &status, 0)
    }

    /// Starts the controller again on the same data directory and port.
    func restart() throws {
        let started = try AgentProcesses().startReturningPID(
            executable: Self.binary,
            arguments: arguments,
            log: dataDirectory.appendingPathComponent("controller.log")
        )
        pid.withLock { $0 = started }
    }

    /// SIGTERM, then stops its PostgreSQL; returns whether the controller ended within `seconds` of the signal
    /// (it is killed otherwise). The data directory (log and cluster) stays when `keepData` is set, for a look
    /// after a failure.
    @discardableResult
    func stop(keepData: Bool = false, within seconds: Double = 20) async -> Bool {
        // A second stop (the scope's, after a test's own) finds it done.
        if let ended = stopped.withLock({ $0 }) { return ended }
        let current = pid.withLock { pid in
            defer { pid = 0 }
            return pid
        }
        // Killed and not started again, there is nothing to signal: the pid may belong to another process by now.
        var ended = true
        if current > 0 {
            kill(current, SIGTERM)
            ended =
                (try? await waitUntil("the controller to end", timeout: seconds, every: .milliseconds(50)) {
                    var status: Int32 = 0
                    return waitpid(current, &status, WNOHANG) != 0
                }) != nil
            if !ended {
                kill(current, SIGKILL)
                var status: Int32 = 0
                waitpid(current, &status, 0)
            }
        }
        let cluster = self.cluster
        _ = try? await Blocking.run { cluster.stop() }
        if !keepData { try? FileManager.default.removeItem(at: dataDirectory) }
        stopped.withLock { $0 = ended }
        return ended
    }
}

/// Starts a controller process with `settings`, runs `body` with it, then stops it unless `body` did, whether
/// `body` returned or threw.
func withControllerProcess<T>(settings: [String] = [], _ body: (ControllerProcess) async throws -> T) async throws -> T {
    try await using(try ControllerProcess.start(settings: settings), stop: { _ = await $0.stop() }, body)
}

import Foundation
import WireProtocol

@testable import testfleet_controller

/// The `testfleet` command run as a process for a test, with a clean environment of its own (its own home,
/// so no login file of the machine is seen), standard input from a string and standard output kept apart
/// from standard error.
struct TestCLI: Sendable {
    let home: URL
    var environment: [String: String] = [:]

    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    static var binary: URL { TestAgent.binary.deletingLastPathComponent().appendingPathComponent("testfleet") }

    init(environment: [String: String] = [:]) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("tf-cli-home-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        self.environment = environment
    }

    /// A client of `controller` logged in by environment: server, CA file and the admin's token.
    static func loggedIn(to controller: some ControllerEndpoint) throws -> TestCLI {
        var cli = try TestCLI()
        let ca = cli.home.appendingPathComponent("ca.crt")
        try controller.caPEM.write(to: ca, atomically: true, encoding: .utf8)
        cli.environment = ["TESTFLEET_SERVER": controller.url, "TESTFLEET_TOKEN": controller.adminToken, "TESTFLEET_CA": ca.path]
        return cli
    }

    var loginFile: URL { home.appendingPathComponent(".config/testfleet/cli.toml") }

    /// Runs `testfleet` with `arguments` to its end, on a thread of its own. With `errors`, its standard error is
    /// written there as it comes, so that a test can watch a command that is still running.
    func run(_ arguments: [String], stdin: String = "", errors: URL? = nil) async throws -> Result {
        let id = UUID().uuidString.prefix(8)
        let input = home.appendingPathComponent("stdin-\(id)")
        let output = home.appendingPathComponent("stdout-\(id)")
        let errorOutput = errors ?? home.appendingPathComponent("stderr-\(id)")
        try stdin.write(to: input, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(at: input)
            try? FileManager.default.removeItem(at: output)
            if errors == nil { try? FileManager.default.removeItem(at: errorOutput) }
        }
        let variables = ["HOME": home.path, "PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let result = try await ProcessRunner.run(
            "/usr/bin/env",
            ["-i"] + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [
                "/bin/sh", "-c", #"in="$1"; out="$2"; err="$3"; shift 3; exec "$@" < "$in" > "$out" 2> "$err""#, "sh",
                input.path, output.path, errorOutput.path, Self.binary.path,
            ] + arguments
        )
        let stdout = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        // What the shell said before it ran the command comes first.
        let stderr = result.output + ((try? String(contentsOf: errorOutput, encoding: .utf8)) ?? "")
        return Result(status: result.status, stdout: stdout, stderr: stderr)
    }

    /// Runs `testfleet` on a pseudo-terminal (util-linux `script`), as a person at a terminal would; returns
    /// everything the terminal showed.
    func runOnTerminal(_ arguments: [String]) async throws -> Result {
        let variables = ["HOME": home.path, "PATH": "/usr/bin:/bin", "TERM": "xterm"].merging(environment) { $1 }
        let command = ([Self.binary.path] + arguments).map(CommandTemplate.shellQuote).joined(separator: " ")
        let result = try await ProcessRunner.run(
            "/usr/bin/env",
            ["-i"] + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [
                "script", "--quiet", "--return", "--command", command, "/dev/null",
            ]
        )
        return Result(status: result.status, stdout: result.output, stderr: "")
    }

    static var hasScript: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }
}

import ControllerClient
import Foundation
import WireProtocol

@testable import testfleet_controller

/// A real `testfleet-agent` process for a test: enrolled with a fresh token through the real command, with a
/// given inventory, running until stopped or killed.
final class TestAgent: @unchecked Sendable {
    let name: String
    let directory: URL
    let config: URL
    private(set) var pid: pid_t = 0

    static var binary: URL {
        let own = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var directory = own.deletingLastPathComponent()
        // The test bundle may sit inside the build directory or beside the binaries.
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("testfleet-agent")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return own.deletingLastPathComponent().appendingPathComponent("testfleet-agent")
    }

    struct Product {
        var name: String
        var version: String
        var path: String
        var tools: [(name: String, version: String, path: String)]
    }

    /// Enrolls and starts an agent. `extra` lines are added to its config file.
    static func start(
        _ controller: some ControllerEndpoint,
        name: String,
        products: [Product],
        slots: Int = 1,
        extra: String = "",
        run: Bool = true
    ) async throws -> TestAgent {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-agent-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let agent = TestAgent(name: name, directory: directory)
        let token = try await controller.admin.request(
            .POST,
            "/api/v1/enrollment-tokens",
            json: EnrollmentTokenInput(ttlS: 600, maxUses: 1)
        ).decode(EnrollmentToken.self).token!
        let result = try await agent.command([
            "enroll", "--controller", controller.url, "--token", token, "--ca-sha256", controller.fingerprint, "--config",
            agent.config.path, "--name", name, "--slots", String(slots),
        ])
        guard result.status == 0 else { throw TestFailure("enroll failed: \(result.output)") }
        var text = extra.isEmpty ? "" : "\n" + extra + "\n"
        for product in products {
            text += "\n[[product]]\nname = \"\(product.name)\"\nversion = \"\(product.version)\"\npath = \"\(product.path)\"\n"
            for tool in product.tools {
                text += "\n[[product.tool]]\nname = \"\(tool.name)\"\nversion = \"\(tool.version)\"\npath = \"\(tool.path)\"\n"
            }
        }
        try agent.appendToConfig(text)
        if run { try agent.run() }
        return agent
    }

    private init(name: String, directory: URL) {
        self.name = name
        self.directory = directory
        self.config = directory.appendingPathComponent("agent.toml")
    }

    /// Adds inventory tables at the end; `key = value` lines before the first table replace those settings.
    func appendToConfig(_ text: String) throws {
        var lines = try String(contentsOf: config, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        let added = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let settings = added.prefix { !$0.hasPrefix("[") }
        for setting in settings where setting.contains("=") {
            let key = setting.split(separator: "=")[0].trimmingCharacters(in: .whitespaces)
            if let index = lines.firstIndex(where: { $0.split(separator: "=").first?.trimmingCharacters(in: .whitespaces) == key }) {
                lines[index] = setting
            } else {
                lines.insert(setting, at: 1)
            }
        }
        lines += added.dropFirst(settings.count)
        try lines.joined(separator: "\n").write(to: config, atomically: true, encoding: .utf8)
    }

    /// Runs `testfleet-agent` with arguments to completion, on a thread of its own: the command talks to the
    /// controller running in this process, which needs the concurrency threads meanwhile.
    func command(_ arguments: [String]) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run(Self.binary.path, arguments)
    }

    var logFile: URL { directory.appendingPathComponent("agent.log") }
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func run() throws {
        let processes = AgentProcesses()
        pid = try processes.startReturningPID(
            executable: Self.binary.path,
            arguments: ["run", "--config", config.path],
            log: logFile
        )
    }

    /// SIGKILL, as when the machine dies; the case processes it started are left to the test to clean up.
    func kill9() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    /// SIGTERM and wait for the exit; returns the exit status, or nil when it was killed after `timeout`.
    /// Waits without holding a thread: the controller the agent talks to may run in this process.
    func terminate(timeout: TimeInterval = 30) async -> Int32? {
        guard pid > 0 else { return nil }
        kill(pid, SIGTERM)
        if let status = await waitForExit(timeout: timeout) { return status }
        kill9()
        return nil
    }

    /// Waits for the agent to end by itself; its exit status, or nil when it still runs after `timeout`.
    /// Waits without holding a thread: the controller the agent talks to may run in this process.
    func waitForExit(timeout: TimeInterval) async -> Int32? {
        guard pid > 0 else { return nil }
        let child = pid
        let status = try? await waitFor("agent \(child) to exit", timeout: timeout) { () -> Int32? in
            var status: Int32 = 0
            return waitpid(child, &status, WNOHANG) == child ? status : nil
        }
        guard let status else { return nil }
        pid = 0
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Stops the agent and waits for its exit (SIGKILL past the wait), kills what its cases left running, and
    /// removes its directory; after a failure the directory is kept, with the agent's log, and said where.
    func finish(failed: Bool = false) async {
        _ = await terminate()
        killLeftoverCases()
        if failed {
            print("agent \(name) failed its test; its log and data are in \(directory.path)")
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Kills what its spooled cases left running (after a SIGKILL of the agent).
    func killLeftoverCases() {
        let spool = directory.appendingPathComponent("agent-data/spool")
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? [] {
            if let text = try? String(contentsOfFile: spool.appendingPathComponent(entry).appendingPathComponent("pgid").path, encoding: .utf8),
                let first = text.split(separator: "\n").first,
                let group = pid_t(first.trimmingCharacters(in: .whitespaces)), group > 0
            {
                kill(-group, SIGKILL)
            }
        }
    }

    deinit {
        if pid > 0 {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

/// A product and a tool (a shell script) in the catalog, linked, for end-to-end tests.
struct Fixture {
    var product: Product
    var tool: Tool
    var toolDirectory: URL
    var productDirectory: URL

    /// `script` is the tool's run-case script body (gets the case name as $1).
    static func make(
        _ controller: some ControllerEndpoint,
        product name: String = "app-\(UUID().uuidString.prefix(6))",
        version: String = "1.0",
        tool toolName: String = "runner",
        script: String,
        runCommand: String = "{tool_dir}/run.sh {case}"
    ) async throws -> Fixture {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tf-fixture-\(UUID().uuidString.prefix(8))")
        let toolDirectory = base.appendingPathComponent("tool")
        let productDirectory = base.appendingPathComponent("product")
        try FileManager.default.createDirectory(at: toolDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: productDirectory, withIntermediateDirectories: true)
        let scriptFile = toolDirectory.appendingPathComponent("run.sh")
        try ("#!/bin/sh\n" + script).write(to: scriptFile, atomically: true, encoding: .utf8)
        chmod(scriptFile.path, 0o755)
        let product = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: name, version: version))
            .decode(Product.self)
        let tool = try await controller.admin.request(
            .POST,
            "/api/v1/tools",
            json: ToolInput(name: toolName + "-" + name, version: "1", runCommand: runCommand)
        ).decode(Tool.self)
        _ = try await controller.admin.request(.PUT, "/api/v1/products/\(product.id)/tools", json: ProductToolsInput(toolIds: [tool.id]))
        return Fixture(product: product, tool: tool, toolDirectory: toolDirectory, productDirectory: productDirectory)
    }

    /// The inventory entry of this product with its tool.
    var inventory: TestAgent.Product {
        .init(
            name: product.name,
            version: product.version,
            path: productDirectory.path,
            tools: [(tool.name, tool.version, toolDirectory.path)]
        )
    }

    func submission(
        _ cases: [String],
        name: String = "test",
        timeout: Int? = nil,
        retries: Int? = nil,
        priority: Int? = nil,
        labels: [String]? = nil
    )
        -> TaskSubmission
    {
        TaskSubmission(
            name: name,
            product: ItemReference(id: product.id),
            tool: ItemReference(id: tool.id),
            cases: cases,
            priority: priority,
            caseTimeoutS: timeout,
            maxInfraRetries: retries,
            labels: labels
        )
    }
}

extension ControllerEndpoint {
    func submit(_ submission: TaskSubmission) async throws -> TaskInfo {
        let answer = try await admin.request(.POST, "/api/v1/tasks", json: submission)
        guard answer.status == 201 else { throw TestFailure("submit: \(answer.status) \(answer.text)") }
        return try answer.decode(TaskInfo.self)
    }

    func task(_ id: Int64) async throws -> TaskInfo {
        try await admin.request(.GET, "/api/v1/tasks/\(id)").decode(TaskInfo.self)
    }

    func cases(_ taskID: Int64) async throws -> [CaseInfo] {
        var items: [CaseInfo] = []
        var cursor: String?
        repeat {
            let page = try await admin.request(.GET, "/api/v1/tasks/\(taskID)/cases?limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""))
                .decode(Page<CaseInfo>.self)
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil
        return items
    }

    /// Waits until the task ended; fails after `timeout` seconds.
    @discardableResult
    func waitForTask(_ id: Int64, timeout: Double = 60) async throws -> TaskInfo {
        do {
            return try await waitFor("task \(id) to end", timeout: timeout, every: .milliseconds(100)) {
                let answer = try await admin.request(.GET, "/api/v1/tasks/\(id)")
                // Like the CLI's watcher, it waits out a 503: the database away for a moment.
                if answer.status == 503 { return nil }
                let task = try answer.decode(TaskInfo.self)
                return task.state.isTerminal ? task : nil
            }
        } catch let failure as TestFailure {
            throw TestFailure("\(failure): \(try await task(id).counts)")
        }
    }

    /// Waits until `condition` holds for a case; fails after `timeout` seconds.
    func waitForCase(_ id: Int64, timeout: Double = 30, _ condition: (CaseDetail) -> Bool) async throws -> CaseDetail {
        try await waitFor("case \(id) in the expected state", timeout: timeout, every: .milliseconds(100)) {
            let detail = try await admin.request(.GET, "/api/v1/cases/\(id)").decode(CaseDetail.self)
            return condition(detail) ? detail : nil
        }
    }

    func log(_ caseID: Int64) async throws -> String {
        try await admin.request(.GET, "/api/v1/cases/\(caseID)/log").text
    }
}

import ArgumentParser
import AsyncSupport
import ConfigFile
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// The demo's steps, against a controller running in this process.
struct DemoScenario {
    let services: ControllerServices
    let config: ControllerConfiguration
    /// Fires when the controller stopped (Ctrl-C or SIGTERM).
    let stopped: OneShot<Void>
    let agents = AgentProcesses()

    var url: String { "https://localhost:\(config.port)" }
    var demoDirectory: URL { config.dataDirectory.appendingPathComponent("demo") }

    func run(exitWhenDone: Bool) async throws {
        try await waitReady()
        let admin = try await services.users.find(username: "admin")!
        let toolDirectory = try installTool()
        let catalog = try await prepareCatalog()
        let inventories: [(String, [String])] = [
            ("demo-node-1", ["1.0"]), ("demo-node-2", ["1.0", "2.0"]), ("demo-node-3", ["2.0"]),
        ]
        for (name, versions) in inventories {
            try await startAgent(name: name, versions: versions, toolDirectory: toolDirectory)
        }
        let cases1 =
            (1...8).map { "checkout-\($0)" } + ["login", "search", "cart-add", "cart-remove"]
            + ["payment-fail", "refund-fail", "inventory-slow", "report-slow", "legacy-export-skip"]
        let cases2 = (1...6).map { "checkout-\($0)" } + ["payment-fail", "migration-slow"]
        let first = try await services.submit(
            TaskSubmission(
                name: "demo-shop 1.0 regression",
                product: ItemReference(id: catalog.version1),
                tool: ItemReference(id: catalog.tool),
                cases: cases1,
                caseTimeoutS: 60
            ),
            userID: admin.id
        ).id
        let second = try await services.submit(
            TaskSubmission(
                name: "demo-shop 2.0 smoke",
                product: ItemReference(id: catalog.version2),
                tool: ItemReference(id: catalog.tool),
                cases: cases2,
                caseTimeoutS: 60
            ),
            userID: admin.id
        ).id
        let password = config.dataDirectory.appendingPathComponent("initial-admin-password")
        Self.say(
            """

            Testfleet demo: controller at \(url)
              web UI:      \(url)/tasks/\(first)  (user admin, password in \(password.path))
              API:         curl --cacert \(config.dataDirectory.appendingPathComponent("tls/ca.crt").path) -u admin:… \(url)/api/v1/tasks/\(first)
              agents:      3 local agents, logs under \(demoDirectory.appendingPathComponent("agents").path)
              tasks:       \(first) (demo-shop 1.0, runs on demo-node-1 and -2), \(second) (demo-shop 2.0, on -2 and -3)

            """
        )
        var done: Set<Int64> = []
        while done.count < 2 {
            try await Task.sleep(for: .seconds(2))
            if stopped.value != nil { return }
            for id in [first, second] where !done.contains(id) {
                let task = try await services.taskDetail(id: id)
                let counts = task.counts
                var line = "task \(id): \(task.state.rawValue), \(counts.finished)/\(counts.total) done — "
                line += "passed \(counts.passed), failed \(counts.failed), skipped \(counts.skipped), running \(counts.running + counts.leased)"
                if let eta = task.etaS, !task.state.isTerminal { line += ", about \(eta) s left" }
                Self.say(line)
                if task.state.isTerminal { done.insert(id) }
            }
        }
        Self.say("\nFinal counts:")
        for id in [first, second] {
            let task = try await services.tasks.get(id: id)
            let c = task.counts
            Self.say(
                "  task \(id) \(task.name): \(c.total) cases — passed \(c.passed), failed \(c.failed), error \(c.error), timed out \(c.timedOut), skipped \(c.skipped)"
            )
            Self.say("    report: \(url)/api/v1/tasks/\(id)/report.html")
        }
        if !exitWhenDone {
            Self.say("\nThe controller keeps running at \(url); press Ctrl-C to stop it and the agents.")
            while stopped.value == nil && !agents.allExited {
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Writes `text` and a newline at once, also when the output is a pipe or a file, where `print` would keep it
    /// in a buffer until the process ends: where to watch comes first, and the progress as it happens.
    static func say(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
    }

    func stopAgents() async {
        let agents = self.agents
        _ = try? await Blocking.run { agents.stopAll() }
    }

    private func waitReady() async throws {
        for _ in 0..<600 {
            if services.migrated.value != nil,
                (try? await services.users.find(username: "admin")) != nil
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DemoError("the controller did not become ready")
    }

    private func installTool() throws -> URL {
        let directory = demoDirectory.appendingPathComponent("tool")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard
            let source = Bundle.module.url(forResource: "run-case", withExtension: "sh", subdirectory: "Resources/demo")
                ?? Bundle.module.url(forResource: "run-case", withExtension: "sh", subdirectory: "demo")
        else { throw DemoError("the demo tool script is missing from the resource bundle") }
        let target = directory.appendingPathComponent("run-case.sh")
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: source, to: target)
        chmod(target.path, 0o755)
        return directory
    }

    private func prepareCatalog() async throws -> (version1: Int64, version2: Int64, tool: Int64) {
        let catalog = services.catalog
        func product(_ version: String) async throws -> Int64 {
            if let existing = try await catalog.list(Product.self, Pagination(), name: "demo-shop").items.first(where: { $0.version == version }) {
                return existing.id
            }
            return try await catalog.create(ProductInput(name: "demo-shop", version: version), by: .console).id
        }
        let tool: Int64
        if let existing = try await catalog.list(Tool.self, Pagination(), name: "demo-runner").items.first {
            tool = existing.id
        } else {
            tool = try await catalog.create(
                ToolInput(name: "demo-runner", version: "1.0", runCommand: "{tool_dir}/run-case.sh {case}", defaultTimeoutS: 60),
                by: .console
            ).id
        }
        let version1 = try await product("1.0")
        let version2 = try await product("2.0")
        _ = try await catalog.setLinks(productID: version1, toolIDs: [tool], by: .console)
        _ = try await catalog.setLinks(productID: version2, toolIDs: [tool], by: .console)
        return (version1, version2, tool)
    }

    private func startAgent(name: String, versions: [String], toolDirectory: URL) async throws {
        let directory = demoDirectory.appendingPathComponent("agents/\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configFile = directory.appendingPathComponent("agent.toml")
        try? FileManager.default.removeItem(at: configFile)
        let (_, token) = try await services.nodes.createEnrollmentToken(
            EnrollmentTokenInput(ttlS: 600, maxUses: 1, note: "demo \(name)"),
            by: .console
        )
        let agent = AgentProcesses.agentBinary()
        let enroll = try await ProcessRunner.run(
            agent.path,
            [
                "enroll", "--controller", url, "--token", token, "--ca-sha256", services.tlsFingerprint ?? "",
                "--config", configFile.path, "--name", name, "--slots", "2",
            ]
        )
        guard enroll.status == 0 else { throw DemoError("enrolling \(name) failed: \(enroll.output)") }
        var inventory = ""
        for version in versions {
            let productDirectory = directory.appendingPathComponent("demo-shop-\(version)")
            try FileManager.default.createDirectory(at: productDirectory, withIntermediateDirectories: true)
            inventory += TOML.arrayTable("product", ["name": "demo-shop", "version": version, "path": productDirectory.path])
            inventory += TOML.arrayTable("product.tool", ["name": "demo-runner", "version": "1.0", "path": toolDirectory.path])
        }
        let handle = try FileHandle(forWritingTo: configFile)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(inventory.utf8))
        try handle.close()
        try agents.start(
            executable: agent.path,
            arguments: ["run", "--config", configFile.path],
            log: directory.appendingPathComponent("agent.log")
        )
    }
}

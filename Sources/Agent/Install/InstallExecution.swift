import AsyncSupport
import ControllerClient
import Foundation
import Logging
import Synchronization
import WireProtocol

/// One install job: fetch each item (the controller's uploaded artifact, checked against its size and
/// SHA-256, or its download URL), unpack it safely or run its install script, move it into place, report
/// the paths. Uninstall removes only what the agent installed. Nothing is left half-installed.
struct InstallExecution: Sendable {
    let job: InstallAssignment
    let client: AgentClient
    let config: AgentConfiguration
    let managed: ManagedInstalls
    let logger: Logger

    private final class Journal: Sendable {
        private let pending = Mutex("")

        func write(_ line: String) { pending.withLock { $0 += line + "\n" } }

        func take() -> String {
            pending.withLock { text in
                defer { text = "" }
                return text
            }
        }
    }

    func run() async {
        let journal = Journal()
        let finished = OneShot<Void>()
        let progress = Task { await reportProgress(journal: journal, until: finished) }
        let what = "\(job.product.name) \(job.product.version)"
        journal.write("\(job.action.rawValue) job \(job.jobId) for \(what) on node \(config.name)")
        var result: InstallResult
        do {
            let paths = try await (job.action == .install ? install(journal) : uninstall(journal))
            journal.write("done")
            result = InstallResult(token: job.token, succeeded: true, message: nil, paths: paths)
        } catch {
            journal.write("failed: \(error)")
            logger.warning("install job \(job.jobId) failed: \(error)")
            result = InstallResult(token: job.token, succeeded: false, message: "\(error)", paths: [:])
        }
        finished.fire(())
        await progress.value
        var backoff = Backoff()
        while true {
            do {
                try await client.installProgress(job, log: journal.take())
                try await client.installResult(job, result)
                return
            } catch let error as ClientError where !error.isTransient {
                logger.warning("the controller refused the result of install job \(job.jobId): \(error)")
                return
            } catch {
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Posts the log and renews the lease every few seconds.
    private func reportProgress(journal: Journal, until finished: OneShot<Void>) async {
        let interval = Duration.seconds(max(1, min(job.heartbeatIntervalS, 5)))
        while finished.value == nil {
            try? await client.installProgress(job, log: journal.take())
            let wake = OneShot<Void>()
            let timer = Task {
                try? await Task.sleep(for: interval)
                wake.fire(())
            }
            let observer = finished.observe { _ in wake.fire(()) }
            await wake.wait()
            finished.removeObserver(observer)
            timer.cancel()
        }
    }

    var productsRoot: URL { config.dataURL.appendingPathComponent("products") }
    var toolsRoot: URL { config.dataURL.appendingPathComponent("tools") }

    private func install(_ journal: Journal) async throws -> [String: String] {
        var paths: [String: String] = [:]
        var placed: [URL] = []
        do {
            var productPath = job.installedPaths["product"] ?? ""
            if job.withProduct {
                let target = productsRoot.appendingPathComponent(job.product.name).appendingPathComponent(job.product.version)
                try await installItem(job.product, at: target, journal: journal)
                placed.append(target)
                productPath = target.path
            }
            paths["product"] = productPath
            var tools: [InventoryTool] = []
            for tool in job.tools {
                let target = toolsRoot.appendingPathComponent(tool.name).appendingPathComponent(tool.version)
                try await installItem(tool, at: target, journal: journal)
                placed.append(target)
                paths[InstallResult.toolKey(name: tool.name, version: tool.version)] = target.path
                tools.append(InventoryTool(name: tool.name, version: tool.version, path: target.path))
            }
            try managed.recordInstall(
                product: InventoryProduct(name: job.product.name, version: job.product.version, path: productPath, tools: []),
                productInstalledHere: job.withProduct,
                tools: tools
            )
            return paths
        } catch {
            for target in placed { try? FileManager.default.removeItem(at: target) }
            throw error
        }
    }

    private func uninstall(_ journal: Journal) async throws -> [String: String] {
        for tool in job.tools {
            try remove(job.installedPaths[InstallResult.toolKey(name: tool.name, version: tool.version)], under: toolsRoot, journal: journal)
        }
        if job.withProduct { try remove(job.installedPaths["product"], under: productsRoot, journal: journal) }
        try managed.recordUninstall(
            productName: job.product.name,
            version: job.product.version,
            tools: job.tools.map { ($0.name, $0.version) },
            wholeProduct: job.withProduct
        )
        return [:]
    }

    /// Removes a directory the agent installed; anything elsewhere is not the agent's to remove.
    private func remove(_ path: String?, under root: URL, journal: Journal) throws {
        guard let path, !path.isEmpty else { return }
        let target = URL(fileURLWithPath: path).standardizedFileURL
        guard target.path.hasPrefix(root.standardizedFileURL.path + "/") else {
            throw AgentError("refusing to remove \(path): the agent did not install it (not under \(root.path))")
        }
        journal.write("removing \(target.path)")
        if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
    }

    /// Fetches, unpacks or installs one item into a staging directory, then moves it to `target`.
    private func installItem(_ item: InstallItem, at target: URL, journal: Journal) async throws {
        let label = "\(item.kind.rawValue) \(item.name) \(item.version)"
        let downloads = config.dataURL.appendingPathComponent("downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        var artifact: URL?
        var filename = ""
        defer { if let artifact { try? FileManager.default.removeItem(at: artifact) } }
        if let uploaded = item.artifact {
            filename = uploaded.filename
            let file = downloads.appendingPathComponent("\(UUID().uuidString)-\(uploaded.filename)")
            artifact = file
            journal.write("downloading \(label) (\(uploaded.filename), \(uploaded.size) bytes) from the controller")
            let got = try await client.download(item.artifactPath, to: file)
            guard got.size == uploaded.size, got.sha256 == uploaded.sha256 else {
                throw AgentError(
                    "checksum mismatch for \(label): expected \(uploaded.size) bytes with SHA-256 \(uploaded.sha256), "
                        + "got \(got.size) bytes with SHA-256 \(got.sha256)"
                )
            }
            journal.write("verified size and SHA-256 \(got.sha256)")
        } else if let url = item.downloadUrl, !url.isEmpty {
            filename = URL(string: url)?.lastPathComponent ?? "artifact"
            let file = downloads.appendingPathComponent("\(UUID().uuidString)-\(filename)")
            artifact = file
            journal.write("downloading \(label) from \(url)")
            let got = try await ControllerClient.download(url: url, to: file)
            journal.write("downloaded \(got.size) bytes, SHA-256 \(got.sha256)")
        } else if item.installScript == nil {
            throw AgentError("nothing to install for \(label): it has no artifact, download URL or install script")
        }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            if let script = item.installScript, !script.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                try await runScript(script, artifact: artifact, installDirectory: staging, label: label, journal: journal)
            } else if let artifact, let kind = ArchiveExtractor.kind(of: filename) {
                let entries = try ArchiveExtractor.extract(artifact, kind: kind, into: staging)
                journal.write("unpacked \(entries) entries of \(filename)")
            } else if let artifact {
                try FileManager.default.copyItem(at: artifact, to: staging.appendingPathComponent(filename))
                journal.write("copied \(filename)")
            }
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.moveItem(at: staging, to: target)
            journal.write("installed \(label) at \(target.path)")
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    private func runScript(_ script: String, artifact: URL?, installDirectory: URL, label: String, journal: Journal) async throws {
        let output = installDirectory.deletingLastPathComponent().appendingPathComponent(".install-\(job.jobId).log")
        defer { try? FileManager.default.removeItem(at: output) }
        let command =
            script
            .replacingOccurrences(of: "{artifact}", with: CommandTemplate.shellQuote(artifact?.path ?? ""))
            .replacingOccurrences(of: "{install_dir}", with: CommandTemplate.shellQuote(installDirectory.path))
        journal.write("running the install script of \(label)")
        let process = CaseProcess(
            command: command,
            environment: ["TESTFLEET_ARTIFACT": artifact?.path ?? "", "TESTFLEET_INSTALL_DIR": installDirectory.path],
            workDirectory: installDirectory,
            outputFile: output,
            timeout: .seconds(3600),
            killGrace: .seconds(10)
        )
        let outcome = await process.run(stop: OneShot())
        if let text = try? String(contentsOf: output, encoding: .utf8), !text.isEmpty { journal.write(text) }
        guard outcome == .exited(0) else { throw AgentError("the install script of \(label) ended with \(outcome)") }
    }
}

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

    /// What the job did, posted to the controller in pieces.
    final class Journal: Sendable {
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
        var staged: [(item: InstallItem, staging: StagingDirectory)] = []
        var placed: [URL] = []
        do {
            var productPath = job.installedPaths["product"] ?? ""
            if job.withProduct {
                let target = productsRoot.appendingPathComponent(job.product.name).appendingPathComponent(job.product.version)
                staged.append((job.product, try await stage(job.product, at: target, journal: journal)))
                productPath = target.path
            }
            paths["product"] = productPath
            var tools: [InventoryTool] = []
            for tool in job.tools {
                let target = toolsRoot.appendingPathComponent(tool.name).appendingPathComponent(tool.version)
                staged.append((tool, try await stage(tool, at: target, journal: journal)))
                paths[InstallResult.toolKey(name: tool.name, version: tool.version)] = target.path
                tools.append(InventoryTool(name: tool.name, version: tool.version, path: target.path))
            }
            // Every item is complete before any is moved into place.
            for (item, staging) in staged {
                try staging.place()
                placed.append(staging.target)
                journal.write("installed \(item.kind.rawValue) \(item.name) \(item.version) at \(staging.target.path)")
            }
            try managed.recordInstall(
                product: InventoryProduct(name: job.product.name, version: job.product.version, path: productPath, tools: []),
                productInstalledHere: job.withProduct,
                tools: tools
            )
            return paths
        } catch {
            for (_, staging) in staged { staging.discard() }
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
}

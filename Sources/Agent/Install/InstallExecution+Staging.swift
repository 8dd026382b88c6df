import AsyncSupport
import ControllerClient
import Foundation
import WireProtocol

extension InstallExecution {
    /// Fetches one item and unpacks it, copies it or runs its install script in a staging directory beside
    /// `target`; the caller places it. Nothing is left behind when this throws.
    func stage(_ item: InstallItem, at target: URL, journal: Journal) async throws -> StagingDirectory {
        let label = "\(item.kind.rawValue) \(item.name) \(item.version)"
        let fetched = try await fetch(item, label: label, journal: journal)
        defer { if let file = fetched?.file { try? FileManager.default.removeItem(at: file) } }
        guard fetched != nil || item.installScript != nil else {
            throw AgentError("nothing to install for \(label): it has no artifact, download URL or install script")
        }
        let staging = try StagingDirectory(for: target)
        do {
            if let script = item.installScript, !script.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                try await runScript(script, artifact: fetched?.file, installDirectory: staging.url, label: label, journal: journal)
            } else if let fetched, let kind = ArchiveExtractor.kind(of: fetched.filename) {
                let entries = try ArchiveExtractor.extract(fetched.file, kind: kind, into: staging.url, limits: config.archiveLimits)
                journal.write("unpacked \(entries) entries of \(fetched.filename)")
            } else if let fetched {
                try FileManager.default.copyItem(at: fetched.file, to: staging.url.appendingPathComponent(fetched.filename))
                journal.write("copied \(fetched.filename)")
            }
            return staging
        } catch {
            staging.discard()
            throw error
        }
    }

    /// Downloads the item's artifact (from the controller, or from its download URL) and checks its size and
    /// SHA-256 where they are known; `nil` when it has neither.
    private func fetch(_ item: InstallItem, label: String, journal: Journal) async throws -> (file: URL, filename: String)? {
        let downloads = config.dataURL.appendingPathComponent("downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        if let uploaded = item.artifact {
            let file = downloads.appendingPathComponent(UUID().uuidString)
            journal.write("downloading \(label) (\(uploaded.filename), \(uploaded.size) bytes) from the controller")
            do {
                let got = try await client.download(item.artifactPath, to: file)
                try ArtifactCheck(size: uploaded.size, sha256: uploaded.sha256).verify(got, label: label)
                journal.write("verified size and SHA-256 \(got.sha256)")
            } catch {
                try? FileManager.default.removeItem(at: file)
                throw error
            }
            return (file, Self.safeFilename(uploaded.filename))
        }
        guard let url = item.downloadUrl, !url.isEmpty else { return nil }
        let file = downloads.appendingPathComponent(UUID().uuidString)
        journal.write("downloading \(label) from \(url)")
        do {
            let got = try await ControllerClient.download(url: url, to: file)
            try ArtifactCheck(size: nil, sha256: item.downloadSha256).verify(got, label: label)
            journal.write(
                "downloaded \(got.size) bytes, SHA-256 \(got.sha256)" + (item.downloadSha256 == nil ? " (no checksum given)" : ", verified")
            )
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        return (file, Self.safeFilename(URL(string: url)?.lastPathComponent ?? ""))
    }

    /// A file name to copy an artifact under: one path component, never `.` or `..`.
    static func safeFilename(_ name: String) -> String {
        let last = name.split(separator: "/").last.map(String.init) ?? ""
        return last.isEmpty || last == "." || last == ".." ? "artifact" : last
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

import Foundation

/// A directory beside an install target where an item is unpacked or installed first. Only a complete
/// install is moved into place (by renames in the same directory); a failed one is removed whole, and an
/// earlier install of the target stays until the new one is ready to replace it.
struct StagingDirectory {
    let target: URL
    let url: URL

    /// Creates `.<name>.partial-<random>` beside `target` (and the directories above it).
    init(for target: URL) throws {
        self.target = target
        let parent = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        url = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
    }

    /// Moves the staged install to the target, replacing what was there.
    func place() throws {
        let parent = target.deletingLastPathComponent()
        var previous: URL?
        if (try? FileManager.default.attributesOfItem(atPath: target.path)) != nil {
            let aside = parent.appendingPathComponent(".\(target.lastPathComponent).previous-\(UUID().uuidString.prefix(8))")
            try rename(target, aside)
            previous = aside
        }
        do {
            try rename(url, target)
        } catch {
            if let previous { try? rename(previous, target) }
            throw error
        }
        if let previous { try? FileManager.default.removeItem(at: previous) }
    }

    /// Removes the staging directory and all in it (links are removed, never followed).
    func discard() {
        try? FileManager.default.removeItem(at: url)
    }

    private func rename(_ from: URL, _ to: URL) throws {
        guard Foundation.rename(from.path, to.path) == 0 else {
            throw AgentError("cannot move \(from.path) to \(to.path): \(String(cString: strerror(errno)))")
        }
    }
}

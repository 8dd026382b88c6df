import Foundation

/// Writes archive entries under one root and refuses any that would land outside it: absolute paths, `..`
/// components, links pointing out of the root, devices.
struct SafeExtraction {
    let root: URL
    /// Total bytes written so far, against `limit`.
    private(set) var written: Int64 = 0
    let limit: Int64

    init(root: URL, limit: Int64) {
        self.root = root.standardizedFileURL
        self.limit = limit
    }

    enum EntryKind {
        case file, directory
        case symlink(String)
        case hardlink(String)
    }

    /// The place of an entry under the root, or an error naming the entry.
    func place(_ name: String) throws -> URL {
        var components: [Substring] = []
        let trimmed = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
        guard !trimmed.hasPrefix("/") else { throw AgentError("refusing archive entry with an absolute path: \(name)") }
        for part in trimmed.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            guard part != ".." else { throw AgentError("refusing archive entry that climbs out of the target: \(name)") }
            components.append(part)
        }
        guard !components.isEmpty else { throw AgentError("refusing archive entry with an empty path") }
        return components.reduce(root) { $0.appendingPathComponent(String($1)) }
    }

    /// Whether a link at `entry` pointing at `target` stays under the root.
    func linkStaysInside(entry: String, target: String) -> Bool {
        guard !target.hasPrefix("/") else { return false }
        var stack = entry.split(separator: "/").dropLast().filter { $0 != "." }.map(String.init)
        for part in target.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                guard !stack.isEmpty else { return false }
                stack.removeLast()
            } else {
                stack.append(String(part))
            }
        }
        return true
    }

    /// Creates a directory entry.
    func makeDirectory(_ name: String) throws {
        try FileManager.default.createDirectory(at: try place(name), withIntermediateDirectories: true)
    }

    /// Opens a regular file entry for writing.
    mutating func createFile(_ name: String, mode: Int) throws -> FileHandle {
        let url = try place(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: url)
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: mode & 0o755]) else {
            throw AgentError("cannot create \(url.path)")
        }
        return try FileHandle(forWritingTo: url)
    }

    mutating func count(_ bytes: Int) throws {
        written += Int64(bytes)
        guard written <= limit else { throw AgentError("the archive unpacks to more than \(limit) bytes") }
    }

    func link(_ name: String, kind: EntryKind) throws {
        let url = try place(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        switch kind {
        case .symlink(let target):
            guard linkStaysInside(entry: name, target: target) else {
                throw AgentError("refusing symbolic link \(name) -> \(target): it points outside the target")
            }
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
        case .hardlink(let target):
            let source = try place(target)
            try FileManager.default.linkItem(at: source, to: url)
        default: break
        }
    }
}

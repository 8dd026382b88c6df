import Foundation

/// Writes archive entries under one directory and nowhere else. Every path is created one component at a
/// time relative to an open directory (`openat`, `mkdirat`, … with `O_NOFOLLOW`), so no symbolic link is ever
/// followed, whoever made it: an entry whose path passes through a link is refused. Names that are absolute
/// or hold `..` are refused; a hard link may only name an entry already unpacked here; links whose target
/// resolves outside (see ``LinkTable``) are refused; bytes are counted against a budget.
final class SafeExtraction {
    let root: URL
    /// Bytes this archive may still unpack to.
    private(set) var remaining: Int64
    let budget: Int64
    private(set) var links = LinkTable()
    private let rootFD: Int32

    /// Opens `root`, which must be an existing directory (not a link).
    init(root: URL, budget: Int64) throws {
        self.root = root
        self.budget = budget
        self.remaining = budget
        rootFD = open(root.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else { throw AgentError("cannot open \(root.path): \(Self.lastError())") }
    }

    deinit { close(rootFD) }

    /// The components of an entry's name, or an error naming the entry.
    static func components(_ name: String) throws -> [String] {
        guard !name.hasPrefix("/") else { throw AgentError("refusing archive entry with an absolute path: \(name)") }
        guard !name.unicodeScalars.contains("\0") else { throw AgentError("refusing archive entry with a NUL character in its name") }
        var parts: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            guard part != ".." else { throw AgentError("refusing archive entry that climbs out of the install directory: \(name)") }
            parts.append(String(part))
        }
        return parts
    }

    /// Creates a directory entry (and the directories above it).
    func makeDirectory(_ name: String) throws {
        let parts = try Self.components(name)
        guard !parts.isEmpty else { return }
        close(try openDirectory(parts, entry: name, create: true))
    }

    /// Creates a regular file entry, replacing an earlier entry of that name, and opens it for writing.
    func createFile(_ name: String, mode: Int) throws -> FileHandle {
        let (parent, leaf, parts) = try openParent(name)
        defer { close(parent) }
        try clear(leaf, in: parent, path: parts, entry: name)
        let permissions = mode_t(mode == 0 ? 0o644 : mode & 0o755)
        let fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw AgentError("cannot create \(name): \(Self.lastError())") }
        // The umask must not decide what the archive says.
        fchmod(fd, permissions)
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Refuses an entry that declares more bytes than the archive may still unpack to.
    func reserve(_ declared: Int64, for name: String) throws {
        guard declared <= remaining else {
            throw AgentError("refusing archive entry \(name): it declares \(declared) bytes, more than the archive may unpack to (\(budget) bytes)")
        }
    }

    /// Counts bytes written against the budget.
    func count(_ bytes: Int) throws {
        remaining -= Int64(bytes)
        guard remaining >= 0 else { throw AgentError("refusing the archive: it unpacks to more than \(budget) bytes") }
    }

    /// Creates a symbolic link entry; it may not point outside (checked again for all links by ``finish()``).
    func symlink(_ name: String, target: String) throws {
        let (parent, leaf, parts) = try openParent(name)
        defer { close(parent) }
        var proposed = links
        proposed.add(parts, target: target)
        if let refusal = proposed.refusal(for: parts) {
            throw AgentError("refusing symbolic link \(name) -> \(target): \(refusal)")
        }
        try clear(leaf, in: parent, path: parts, entry: name)
        guard symlinkat(target, parent, leaf) == 0 else { throw AgentError("cannot create symbolic link \(name): \(Self.lastError())") }
        links = proposed
    }

    /// Creates a hard link entry to an entry already unpacked here.
    func hardlink(_ name: String, target: String) throws {
        guard !target.hasPrefix("/"), !target.split(separator: "/").contains("..") else {
            throw AgentError("refusing hard link \(name) -> \(target): a hard link may only name an entry inside the install directory")
        }
        let targetParts = try Self.components(target)
        guard let targetLeaf = targetParts.last else { throw AgentError("refusing hard link \(name) with an empty target") }
        let source = try openDirectory(Array(targetParts.dropLast()), entry: target, create: false)
        defer { close(source) }
        var status = stat()
        guard fstatat(source, targetLeaf, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw AgentError("refusing hard link \(name) -> \(target): \(target) is not in the archive before it")
        }
        guard status.st_mode & S_IFMT != S_IFDIR else { throw AgentError("refusing hard link \(name) -> \(target): it is a directory") }
        let (parent, leaf, parts) = try openParent(name)
        defer { close(parent) }
        try clear(leaf, in: parent, path: parts, entry: name)
        // Without AT_SYMLINK_FOLLOW, a link to a symbolic link is that link itself: check it where it now lies.
        if let linkTarget = links.target(of: targetParts) { try symlinkLanding(parts, target: linkTarget, entry: name) }
        guard linkat(source, targetLeaf, parent, leaf, 0) == 0 else {
            throw AgentError("cannot create hard link \(name) -> \(target): \(Self.lastError())")
        }
    }

    /// Checks every link once all entries are in place: later entries may have changed where one leads.
    func finish() throws {
        if let (path, target, refusal) = links.firstRefusal() {
            throw AgentError("refusing symbolic link \(path) -> \(target): \(refusal)")
        }
    }

    private func symlinkLanding(_ parts: [String], target: String, entry: String) throws {
        var proposed = links
        proposed.add(parts, target: target)
        if let refusal = proposed.refusal(for: parts) { throw AgentError("refusing hard link \(entry): \(refusal)") }
        links = proposed
    }

    /// Removes an earlier entry of the same name (not a directory) so that a new one takes its place.
    private func clear(_ leaf: String, in parent: Int32, path: [String], entry: String) throws {
        var status = stat()
        guard fstatat(parent, leaf, &status, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        guard status.st_mode & S_IFMT != S_IFDIR else { throw AgentError("refusing archive entry \(entry): a directory of that name exists") }
        guard unlinkat(parent, leaf, 0) == 0 else { throw AgentError("cannot replace \(entry): \(Self.lastError())") }
        links.remove(path)
    }

    /// Opens the directory an entry goes into, creating the directories on the way; returns it with the
    /// entry's last component and all its components.
    private func openParent(_ name: String) throws -> (fd: Int32, leaf: String, parts: [String]) {
        let parts = try Self.components(name)
        guard let leaf = parts.last else { throw AgentError("refusing archive entry with an empty path: \(name)") }
        return (try openDirectory(Array(parts.dropLast()), entry: name, create: true), leaf, parts)
    }

    /// Opens the directory at `parts` under the root without following any link; the caller closes it.
    private func openDirectory(_ parts: [String], entry: String, create: Bool) throws -> Int32 {
        var current = dup(rootFD)
        guard current >= 0 else { throw AgentError("cannot open \(root.path): \(Self.lastError())") }
        for (index, part) in parts.enumerated() {
            var next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(current, part, 0o755) != 0 && errno != EEXIST {
                    let reason = Self.lastError()
                    close(current)
                    throw AgentError("cannot create \(parts[...index].joined(separator: "/")) for \(entry): \(reason)")
                }
                next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                let reason = describeFailure(part, in: current)
                close(current)
                throw AgentError("refusing archive entry \(entry): \(parts[...index].joined(separator: "/")) \(reason)")
            }
            close(current)
            current = next
        }
        return current
    }

    private func describeFailure(_ part: String, in directory: Int32) -> String {
        let reason = Self.lastError()
        var status = stat()
        guard fstatat(directory, part, &status, AT_SYMLINK_NOFOLLOW) == 0 else { return "cannot be opened: \(reason)" }
        switch status.st_mode & S_IFMT {
        case S_IFLNK: return "is a symbolic link, and an archive may not write through links"
        case S_IFDIR: return "cannot be opened: \(reason)"
        default: return "is not a directory"
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

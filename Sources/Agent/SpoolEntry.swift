import Foundation
import WireProtocol

/// A leased case's files on disk, under `<data dir>/spool/<lease id>/`: the lease, the output, the process
/// group and, once known, the result. What is on disk survives the controller being unreachable and the
/// agent restarting: logs and results are delivered later.
///
/// A removed entry is emptied and kept for the next case (``DirectoryPool``), its files with it, so that a case
/// allocates no inode.
///
/// The files are written with plain system calls and not synced to disk: they outlive the agent's process, which
/// is what they are for; a machine that goes down loses its cases anyway, and the controller hands them out again
/// when their leases expire.
struct SpoolEntry: Sendable {
    let directory: URL
    /// The directory's path: the files are reached by their paths, without building a URL for each.
    let path: String

    init(directory: URL) {
        self.directory = directory
        path = directory.path
    }

    var leaseFile: URL { URL(fileURLWithPath: leasePath, isDirectory: false) }
    var outputFile: URL { URL(fileURLWithPath: outputPath, isDirectory: false) }
    var resultFile: URL { URL(fileURLWithPath: resultPath, isDirectory: false) }
    var groupFile: URL { URL(fileURLWithPath: groupPath, isDirectory: false) }

    private var leasePath: String { path + "/lease.json" }
    private var outputPath: String { path + "/output.log" }
    private var resultPath: String { path + "/result.json" }
    /// The result is written here first and renamed: `result.json` is there only whole.
    private var nextResultPath: String { path + "/.result" }
    private var groupPath: String { path + "/pgid" }

    static func create(in spool: URL, lease: Lease) throws -> SpoolEntry {
        let entry = SpoolEntry(directory: spool.appendingPathComponent(lease.leaseId.uuidString.lowercased(), isDirectory: true))
        guard DirectoryPool.shared(for: spool.path).take(as: entry.path, mode: 0o700) || mkdir(entry.path, 0o700) == 0 || errno == EEXIST
        else {
            throw AgentError("cannot create \(entry.path): \(String(cString: strerror(errno)))")
        }
        try Self.write(entry.leasePath, try WireJSON.encoder().encode(lease))
        return entry
    }

    /// Every entry left in the spool.
    static func all(in spool: URL) -> [SpoolEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { SpoolEntry(directory: spool.appendingPathComponent($0, isDirectory: true)) }
    }

    func lease() throws -> Lease {
        try WireJSON.decoder().decode(Lease.self, from: Data(contentsOf: leaseFile))
    }

    func saveResult(_ result: CaseResult) throws {
        try Self.write(nextResultPath, try WireJSON.encoder().encode(result))
        guard rename(nextResultPath, resultPath) == 0 else {
            throw AgentError("cannot write \(resultPath): \(String(cString: strerror(errno)))")
        }
    }

    func result() -> CaseResult? {
        guard let data = try? Data(contentsOf: resultFile) else { return nil }
        return try? WireJSON.decoder().decode(CaseResult.self, from: data)
    }

    /// Records the case's process group with its leader's identity, so that a later run of the agent does not
    /// mistake another process that got the same number (after a reboot, or once numbers wrap) for the case.
    func saveGroup(_ group: pid_t) {
        let identity = ProcessIdentity.of(group) ?? ""
        try? Self.write(groupPath, Data("\(group)\n\(identity)\n".utf8))
    }

    /// The case's process group, unless its number now belongs to something else.
    func group() -> pid_t? {
        guard let text = try? String(contentsOf: groupFile, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let group = pid_t(lines[0].trimmingCharacters(in: .whitespaces)), group > 0 else { return nil }
        guard lines.count > 1, let recorded = ProcessIdentity(lines[1]) else { return nil }
        return ProcessIdentity.stillOurs(group, recorded: recorded) ? group : nil
    }

    /// Bytes of output so far (0 before the case wrote any).
    var outputSize: Int64 {
        var info = stat()
        return stat(outputPath, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Up to `count` bytes of the output from `offset`.
    func readOutput(from offset: Int64, count: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: outputFile)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: count) ?? Data()
    }

    /// Removes the entry: empties its files and keeps it for the next case, or else removes its files, then the
    /// directory, and anything else found there the long way.
    func remove() {
        if recycle() { return }
        for file in [leasePath, outputPath, resultPath, nextResultPath, groupPath] { unlink(file) }
        if rmdir(path) != 0 && errno != ENOENT { try? FileManager.default.removeItem(at: directory) }
    }

    /// Empties the entry and moves it into the pool. Its files are kept: the result goes back to where the next one
    /// is written, the lease and the process group are blanked (unreadable, as if missing, until the next case's are
    /// written), and the output is cut to nothing only when there is any. A file cut to nothing and written again is
    /// flushed to disk when it is closed on ext4, which is what the next case would pay for each.
    private func recycle() -> Bool {
        guard rename(resultPath, nextResultPath) == 0 || errno == ENOENT,
            Self.blank(leasePath), Self.blank(groupPath),
            outputSize == 0 || truncate(outputPath, 0) == 0
        else { return false }
        return DirectoryPool.shared(for: directory.deletingLastPathComponent().path).keep(path)
    }

    /// Overwrites the file with as many spaces as it holds; true when done or when there is no such file.
    private static func blank(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return errno == ENOENT }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        let spaces = [UInt8](repeating: 0x20, count: Int(info.st_size))
        return pwrite(fd, spaces, spaces.count, 0) == spaces.count
    }

    /// Writes each of the entry's files once, whole (mode 0600): a file an agent that died half-way through left
    /// unreadable is taken as missing. A file kept from an earlier case is written over and then cut to its new
    /// length, never cut to nothing first (see ``recycle()``).
    static func write(_ path: String, _ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgentError("cannot write \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        let written = data.withUnsafeBytes { bytes in pwrite(fd, bytes.baseAddress, bytes.count, 0) }
        var failure = written == data.count ? 0 : written < 0 ? errno : ENOSPC
        if failure == 0, fstat(fd, &info) == 0, info.st_size > data.count, ftruncate(fd, off_t(data.count)) != 0 {
            failure = errno
        }
        close(fd)
        guard failure == 0 else {
            unlink(path)
            throw AgentError("cannot write \(path): \(String(cString: strerror(failure)))")
        }
    }
}

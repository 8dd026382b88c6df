import Foundation
import WireProtocol

/// A leased case's files on disk, under `<data dir>/spool/<lease id>/`: the lease, the output, the process
/// group and, once known, the result. What is on disk survives the controller being unreachable and the
/// agent restarting: logs and results are delivered later.
struct SpoolEntry: Sendable {
    let directory: URL

    var leaseFile: URL { directory.appendingPathComponent("lease.json") }
    var outputFile: URL { directory.appendingPathComponent("output.log") }
    var resultFile: URL { directory.appendingPathComponent("result.json") }
    var groupFile: URL { directory.appendingPathComponent("pgid") }

    static func create(in spool: URL, lease: Lease) throws -> SpoolEntry {
        let entry = SpoolEntry(directory: spool.appendingPathComponent(lease.leaseId.uuidString.lowercased()))
        try FileManager.default.createDirectory(
            at: entry.directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        try WireJSON.encoder().encode(lease).write(to: entry.leaseFile, options: .atomic)
        _ = FileManager.default.createFile(atPath: entry.outputFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
        return entry
    }

    /// Every entry left in the spool.
    static func all(in spool: URL) -> [SpoolEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
        return names.sorted().map { SpoolEntry(directory: spool.appendingPathComponent($0)) }
    }

    func lease() throws -> Lease {
        try WireJSON.decoder().decode(Lease.self, from: Data(contentsOf: leaseFile))
    }

    func saveResult(_ result: CaseResult) throws {
        try WireJSON.encoder().encode(result).write(to: resultFile, options: .atomic)
    }

    func result() -> CaseResult? {
        guard let data = try? Data(contentsOf: resultFile) else { return nil }
        return try? WireJSON.decoder().decode(CaseResult.self, from: data)
    }

    func saveGroup(_ group: pid_t) {
        try? String(group).write(to: groupFile, atomically: true, encoding: .utf8)
    }

    func group() -> pid_t? {
        (try? String(contentsOf: groupFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    var outputSize: Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: outputFile.path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Up to `count` bytes of the output from `offset`.
    func readOutput(from offset: Int64, count: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: outputFile)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: count) ?? Data()
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

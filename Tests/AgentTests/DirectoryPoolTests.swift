import Foundation
import Testing
import WireProtocol

@testable import testfleet_agent

@Suite("Spool entries and work directories kept for the next case")
struct DirectoryPoolTests {
    private func lease() -> Lease {
        Lease(
            leaseId: UUID(),
            token: 7,
            expiresAt: Date(),
            heartbeatIntervalS: 10,
            caseId: 1,
            caseName: "c",
            taskId: 1,
            attempt: 1,
            commandTemplate: "true",
            product: LeasedItem(name: "p", version: "1", path: "/tmp"),
            tool: LeasedItem(name: "t", version: "1", path: "/tmp"),
            timeoutS: 60
        )
    }

    private static func inode(_ path: String) -> ino_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : nil
    }

    @Test("a removed entry comes back empty as the next one: same directory and files, no result, nothing listed")
    func spoolEntries() throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("tf-pool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: spool) }

        let first = try SpoolEntry.create(in: spool, lease: lease())
        try Data("output".utf8).write(to: first.outputFile)
        first.saveGroup(getpid())
        let long = String(repeating: "long message ", count: 100)
        try first.saveResult(CaseResult(token: 7, status: .passed, exitCode: 0, durationMs: 1, message: long))
        #expect(first.result()?.message == long)
        let directoryInode = Self.inode(first.path)
        let outputInode = Self.inode(first.outputFile.path)
        first.remove()
        #expect(!FileManager.default.fileExists(atPath: first.path))
        #expect(SpoolEntry.all(in: spool).isEmpty, "a kept entry is not one to deliver")

        let second = try SpoolEntry.create(in: spool, lease: lease())
        #expect(Self.inode(second.path) == directoryInode && Self.inode(second.outputFile.path) == outputInode)
        #expect(second.result() == nil && second.outputSize == 0 && second.group() == nil)
        #expect(!FileManager.default.fileExists(atPath: second.resultFile.path))
        #expect(try second.lease().leaseId != (try? first.lease())?.leaseId)
        #expect(SpoolEntry.all(in: spool).map(\.path) == [second.path])

        // The kept files are written over: a shorter result reads back whole, with nothing of the longer one.
        try second.saveResult(CaseResult(token: 7, status: .failed, exitCode: 1, durationMs: 1, message: "short"))
        #expect(second.result()?.message == "short" && second.result()?.status == .failed)
        let size = try FileManager.default.attributesOfItem(atPath: second.resultFile.path)[.size] as? Int
        let written = try WireJSON.encoder().encode(CaseResult(token: 7, status: .failed, exitCode: 1, durationMs: 1, message: "short"))
        #expect(size == written.count)
    }

    @Test("a kept entry taken by an agent that dies before writing its lease is not mistaken for the earlier case")
    func blankedBeforeReuse() throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("tf-pool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: spool) }
        let first = try SpoolEntry.create(in: spool, lease: lease())
        first.saveGroup(getpid())
        first.remove()
        // What the next case's entry holds between being taken from the pool and its lease being written.
        let pooled = try #require(try FileManager.default.contentsOfDirectory(atPath: spool.path).first)
        let taken = SpoolEntry(directory: spool.appendingPathComponent(pooled))
        #expect((try? taken.lease()) == nil)
        #expect(taken.group() == nil)
        #expect(taken.result() == nil)
    }

    @Test("only an empty work directory is kept; it comes back empty with its mode, and a pool left by an earlier run is cleared")
    func workDirectories() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tf-work-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work + "/" + DirectoryPool.prefix + "left", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let pool = DirectoryPool.shared(for: work)
        #expect(!FileManager.default.fileExists(atPath: work + "/" + DirectoryPool.prefix + "left"))
        #expect(!pool.take(as: work + "/a", mode: 0o755), "nothing is pooled yet")

        let busy = work + "/busy"
        try FileManager.default.createDirectory(atPath: busy, withIntermediateDirectories: false)
        try Data("left over".utf8).write(to: URL(fileURLWithPath: busy + "/file"))
        #expect(!pool.keepIfEmpty(busy), "a directory with files is not kept")

        let done = work + "/done"
        try FileManager.default.createDirectory(atPath: done, withIntermediateDirectories: false)
        chmod(done, 0)
        let inode = Self.inode(done)
        #expect(pool.keepIfEmpty(done))
        #expect(pool.take(as: work + "/next", mode: 0o755))
        #expect(Self.inode(work + "/next") == inode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/next").isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: work + "/next")[.posixPermissions] as? Int
        #expect(mode == 0o755)
        #expect(!pool.take(as: work + "/other", mode: 0o755), "each kept directory is handed out once")
    }
}

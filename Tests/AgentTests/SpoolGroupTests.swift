import Foundation
import Testing

@testable import testfleet_agent

@Suite("A spooled case's process group")
struct SpoolGroupTests {
    private func entry() throws -> SpoolEntry {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return SpoolEntry(directory: directory)
    }

    @Test("is given back while its process is the recorded one, never when the number now stands for another")
    func identity() throws {
        let entry = try entry()
        defer { try? FileManager.default.removeItem(at: entry.directory) }
        let me = getpid()
        entry.saveGroup(me)
        #expect(entry.group() == me)

        let boot = try #require(ProcessIdentity.currentBootID())
        let ticks = try #require(ProcessIdentity.startTicks(me))
        // The same number, started at another time: another process.
        try "\(me)\n\(boot) \(ticks + 1)\n".write(to: entry.groupFile, atomically: true, encoding: .utf8)
        #expect(entry.group() == nil)
        // Recorded in another boot.
        try "\(me)\nnot-this-boot \(ticks)\n".write(to: entry.groupFile, atomically: true, encoding: .utf8)
        #expect(entry.group() == nil)
        // Without an identity, as an older agent wrote it: not trusted.
        try "\(me)\n".write(to: entry.groupFile, atomically: true, encoding: .utf8)
        #expect(entry.group() == nil)
        // A leader that is gone: its number stays taken while its group lives, so the group is still the case's.
        try "999999999\n\(boot) 1\n".write(to: entry.groupFile, atomically: true, encoding: .utf8)
        #expect(entry.group() == 999_999_999)
    }
}

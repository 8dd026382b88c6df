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

    @Test("a process's start time is field 22 of its stat line, counted after the command name's last parenthesis")
    func startTicks() throws {
        func parse(_ line: String) -> UInt64? {
            Array(line.utf8).withUnsafeBufferPointer { ProcessIdentity.startTicks(statLine: $0) }
        }
        let fields = (4...21).map(String.init).joined(separator: " ")
        #expect(parse("42 (sh) S \(fields) 123456 23 24\n") == 123_456)
        // A command named "a) b (c)" in parentheses.
        #expect(parse("42 (a) b (c)) S \(fields) 987 23\n") == 987)
        #expect(parse("42 (sh) S \(fields) 555") == 555)
        #expect(parse("42 (sh) S \(fields)\n") == nil)
        #expect(parse("42 (sh) S \(fields) 12x4 23") == nil)
        #expect(parse("42 (sh) S \(fields) 99999999999999999999999 23") == nil)
        #expect(parse("42 sh S 1 2 3") == nil)
        #expect(parse("") == nil)

        // This process, read from /proc, as a plain reading of the file finds it.
        let stat = try String(contentsOfFile: "/proc/self/stat", encoding: .utf8)
        let afterName = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        #expect(ProcessIdentity.startTicks(getpid()) == UInt64(afterName[19]))
        #expect(ProcessIdentity.startTicks(999_999_999) == nil)
    }
}

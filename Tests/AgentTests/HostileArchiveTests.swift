import Foundation
import Testing

@testable import testfleet_agent

/// The hostile corpus (`Tests/Fixtures/hostile_archives.py`, made with Python's tarfile and zipfile) unpacked
/// the way an install job does: into a staging directory beside the target, removed when unpacking fails.
@Suite("Hostile archives are refused whole")
struct HostileArchiveTests {
    struct Case: Decodable {
        var name: String
        var file: String
        var expect: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/hostile_archives.py")
        .standardizedFileURL

    /// Writes the corpus into `directory`/archives, aiming at `directory`/outside.
    static func corpus(in directory: URL) throws -> (archives: URL, outside: URL, cases: [Case]) {
        let archives = directory.appendingPathComponent("archives")
        let outside = directory.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, archives.path, outside.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw AgentError("python3 failed to write the hostile corpus") }
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: archives.appendingPathComponent("manifest.json")))
        return (archives, outside, cases)
    }

    /// Every file and directory under `directory`, relative to it, links not followed.
    static func tree(_ directory: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        return (enumerator.allObjects as? [String] ?? []).sorted()
    }

    @Test("each hostile archive fails with its message, writes nothing outside and leaves nothing installed")
    func corpus() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tf-hostile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let (archives, outside, cases) = try Self.corpus(in: work)
        #expect(cases.count >= 40)
        for item in cases {
            // The install directory's parent and grandparent are watched: the chains aim there.
            let root = work.appendingPathComponent("node-\(item.name)")
            let target = root.appendingPathComponent("tools/evil/1")
            let staging = try StagingDirectory(for: target)
            let archive = archives.appendingPathComponent(item.file)
            let kind = try #require(ArchiveExtractor.kind(of: item.file))
            do {
                let entries = try ArchiveExtractor.extract(archive, kind: kind, into: staging.url)
                Issue.record("\(item.name) was unpacked (\(entries) entries): \(Self.tree(staging.url))")
            } catch let error as AgentError {
                #expect(error.description.contains(item.expect), "\(item.name): \(error.description)")
            } catch {
                Issue.record("\(item.name): \(error) is not an AgentError with a message")
            }
            staging.discard()
            #expect(Self.tree(root) == ["tools", "tools/evil"], "\(item.name) left \(Self.tree(root))")
            #expect(Self.tree(outside).isEmpty, "\(item.name) wrote \(Self.tree(outside)) outside")
            #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("evil").path))
        }
        #expect(Self.tree(work).filter { !$0.hasPrefix("archives") && !$0.hasPrefix("node-") && $0 != "outside" }.isEmpty)
        // The same process goes on unpacking good archives.
        let good = work.appendingPathComponent("good.zip")
        try ArchiveTests.python("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('ok.txt', 'fine')", good)
        let target = work.appendingPathComponent("good")
        #expect(try ArchiveExtractor.extract(good, kind: .zip, into: target) == 1)
        #expect(try String(contentsOf: target.appendingPathComponent("ok.txt"), encoding: .utf8) == "fine")
    }

    @Test("links are resolved over the tree: each alone may stay inside while two together leave")
    func linkTable() {
        var links = LinkTable()
        links.add(["a", "b", "s"], target: "../..")
        #expect(links.refusal(for: ["a", "b", "s"]) == nil)
        links.add(["t"], target: "a/b/s/..")
        #expect(links.refusal(for: ["t"]) == .outside)
        links.add(["u"], target: "a/b/s/a")
        #expect(links.refusal(for: ["u"]) == nil)
        links.add(["abs"], target: "/etc")
        #expect(links.refusal(for: ["abs"]) == .absolute)
        links.add(["l1"], target: "l2")
        links.add(["l2"], target: "l1")
        #expect(links.refusal(for: ["l1"]) == .loop)
        links.add(["dangling"], target: "nowhere/../here")
        #expect(links.refusal(for: ["dangling"]) == nil)
        #expect(links.firstRefusal()?.path == "abs")
        links.remove(["abs"])
        links.remove(["l1"])
        links.remove(["t"])
        #expect(links.firstRefusal() == nil)
    }

    @Test("the budget: at least the floor, the ratio beyond it, never more than the maximum")
    func limits() {
        let limits = ArchiveLimits(maxBytes: 1 << 30, maxRatio: 100, ratioFloor: 1 << 20)
        #expect(limits.budget(archiveSize: 1000) == 1 << 20)
        #expect(limits.budget(archiveSize: 1 << 20) == 100 << 20)
        #expect(limits.budget(archiveSize: 1 << 40) == 1 << 30)
        #expect(limits.budget(archiveSize: .max) == 1 << 30)
    }
}

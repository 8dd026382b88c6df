import Foundation
import Testing
import WireProtocol

@testable import testfleet_agent

/// Archives made by Python's tarfile and zipfile, unpacked by the agent.
@Suite("Unpacking artifacts safely")
struct ArchiveTests {
    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs a Python snippet that writes an archive at `path`.
    func python(_ code: String, _ path: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", code, path.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw AgentError("python3 failed to build the archive") }
    }

    @Test("tar.gz with directories, an executable, a long name and an inner symlink")
    func tarGzip() throws {
        let work = try scratch()
        let archive = work.appendingPathComponent("a.tar.gz")
        try python(
            #"""
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w:gz") as t:
                def add(name, data, mode=0o644):
                    info = tarfile.TarInfo(name); info.size = len(data); info.mode = mode; t.addfile(info, io.BytesIO(data))
                d = tarfile.TarInfo("pkg/bin"); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
                add("pkg/bin/run.sh", b"#!/bin/sh\necho hi\n", 0o755)
                add("pkg/" + "deep/" * 40 + "file.txt", b"long name")
                l = tarfile.TarInfo("pkg/link"); l.type = tarfile.SYMTYPE; l.linkname = "bin/run.sh"; t.addfile(l)
            """#,
            archive
        )
        let target = work.appendingPathComponent("out")
        #expect(try ArchiveExtractor.extract(archive, kind: .tarGzip, into: target) == 4)
        let script = target.appendingPathComponent("pkg/bin/run.sh")
        #expect(try String(contentsOf: script, encoding: .utf8) == "#!/bin/sh\necho hi\n")
        #expect(FileManager.default.isExecutableFile(atPath: script.path))
        #expect(
            try String(contentsOf: target.appendingPathComponent("pkg/" + String(repeating: "deep/", count: 40) + "file.txt"), encoding: .utf8)
                == "long name"
        )
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent("pkg/link").path) == "bin/run.sh")
    }

    @Test("entries climbing out, absolute paths and links pointing outside are refused")
    func escapes() throws {
        let work = try scratch()
        for (name, entry) in [
            ("dotdot", #"i = tarfile.TarInfo("../evil"); i.size = 1; t.addfile(i, io.BytesIO(b"x"))"#),
            ("inner", #"i = tarfile.TarInfo("ok/../../evil"); i.size = 1; t.addfile(i, io.BytesIO(b"x"))"#),
            ("absolute", #"i = tarfile.TarInfo("/tmp/evil"); i.size = 1; t.addfile(i, io.BytesIO(b"x"))"#),
            ("link", #"i = tarfile.TarInfo("out"); i.type = tarfile.SYMTYPE; i.linkname = "../../etc"; t.addfile(i)"#),
            ("abslink", #"i = tarfile.TarInfo("out"); i.type = tarfile.SYMTYPE; i.linkname = "/etc/passwd"; t.addfile(i)"#),
        ] {
            let archive = work.appendingPathComponent("\(name).tgz")
            try python("import io, sys, tarfile\nwith tarfile.open(sys.argv[1], 'w:gz') as t:\n    " + entry, archive)
            let target = work.appendingPathComponent("out-\(name)")
            #expect(throws: AgentError.self, "\(name) must be refused") {
                try ArchiveExtractor.extract(archive, kind: .tarGzip, into: target)
            }
            #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("evil").path))
        }
    }

    @Test("zip with stored and deflated entries; a zip climbing out is refused")
    func zip() throws {
        let work = try scratch()
        let archive = work.appendingPathComponent("a.zip")
        try python(
            #"""
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                z.writestr("tool/readme.txt", "stored", compress_type=zipfile.ZIP_STORED)
                z.writestr("tool/data.txt", "deflated " * 1000, compress_type=zipfile.ZIP_DEFLATED)
                z.writestr("tool/empty/", "")
            """#,
            archive
        )
        let target = work.appendingPathComponent("out")
        #expect(try ArchiveExtractor.extract(archive, kind: .zip, into: target) == 2)
        #expect(try String(contentsOf: target.appendingPathComponent("tool/readme.txt"), encoding: .utf8) == "stored")
        #expect(
            try String(contentsOf: target.appendingPathComponent("tool/data.txt"), encoding: .utf8) == String(repeating: "deflated ", count: 1000)
        )
        let bad = work.appendingPathComponent("bad.zip")
        try python("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('../evil', 'x')", bad)
        #expect(throws: AgentError.self) { try ArchiveExtractor.extract(bad, kind: .zip, into: work.appendingPathComponent("bad")) }
        #expect(ArchiveExtractor.kind(of: "x.TGZ") == .tarGzip && ArchiveExtractor.kind(of: "x.bin") == nil)
    }

    @Test("managed installs merge into the config file's inventory")
    func merge() {
        let config = [InventoryProductFixture.make("shop", "1.0", tools: ["cfg"])]
        let managed = [
            InventoryProductFixture.make("shop", "1.0", tools: ["extra"], managed: false),
            InventoryProductFixture.make("other", "2", tools: ["t"], managed: true),
        ]
        let merged = ManagedInstalls.merge(config: config, managed: managed)
        #expect(merged.map(\.name) == ["shop", "other"])
        #expect(merged[0].tools.map(\.name) == ["cfg", "extra"] && merged[0].managed == nil)
        #expect(merged[1].managed == true)
    }
}

enum InventoryProductFixture {
    static func make(_ name: String, _ version: String, tools: [String], managed: Bool? = nil) -> InventoryProduct {
        InventoryProduct(
            name: name,
            version: version,
            path: "/opt/\(name)",
            tools: tools.map { InventoryTool(name: $0, version: "1", path: "/opt/\($0)", managed: managed == nil ? nil : true) },
            managed: managed
        )
    }
}

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
    static func python(_ code: String, _ path: URL) throws {
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
        try Self.python(
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
            try Self.python("import io, sys, tarfile\nwith tarfile.open(sys.argv[1], 'w:gz') as t:\n    " + entry, archive)
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
        try Self.python(
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
        try Self.python("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('../evil', 'x')", bad)
        #expect(throws: AgentError.self) { try ArchiveExtractor.extract(bad, kind: .zip, into: work.appendingPathComponent("bad")) }
        #expect(ArchiveExtractor.kind(of: "x.TGZ") == .tarGzip && ArchiveExtractor.kind(of: "x.bin") == nil)
    }

    @Test("ZIP64 archives unpack: sizes in the extra field, the ZIP64 end of central directory")
    func zip64() throws {
        let work = try scratch()
        let archive = work.appendingPathComponent("z64.zip")
        try Self.python(
            #"""
            import sys, zipfile
            zipfile.ZIP64_LIMIT = 0
            zipfile.ZIP_FILECOUNT_LIMIT = 0
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                z.writestr("a/b.txt", "hello zip64 " * 100, compress_type=zipfile.ZIP_DEFLATED)
                z.writestr("c.txt", "stored", compress_type=zipfile.ZIP_STORED)
            """#,
            archive
        )
        let bytes = [UInt8](try Data(contentsOf: archive))
        #expect(bytes.indices.contains { bytes[$0...].starts(with: [0x50, 0x4B, 0x06, 0x06]) }, "not a ZIP64 archive")
        let target = work.appendingPathComponent("out")
        #expect(try ArchiveExtractor.extract(archive, kind: .zip, into: target) == 2)
        #expect(try String(contentsOf: target.appendingPathComponent("a/b.txt"), encoding: .utf8) == String(repeating: "hello zip64 ", count: 100))
        #expect(try String(contentsOf: target.appendingPathComponent("c.txt"), encoding: .utf8) == "stored")
    }

    @Test("what tar writes unpacks: ./ entries, hard links inside, replaced entries, pax names, one tar in two gzip members")
    func tarForms() throws {
        let work = try scratch()
        let archive = work.appendingPathComponent("forms.tar.gz")
        try Self.python(
            #"""
            import gzip, sys, tarfile
            def block(info, data, fmt):
                info.size = len(data) if data else 0
                out = info.tobuf(fmt, "utf-8", "surrogateescape")
                return out + (data + b"\0" * ((512 - len(data) % 512) % 512) if data else b"")
            def entry(name, kind=tarfile.REGTYPE, link=""):
                info = tarfile.TarInfo(name); info.type = kind; info.linkname = link; info.mode = 0o640
                return info
            gnu = tarfile.GNU_FORMAT
            tar = b"".join([
                block(entry("./", tarfile.DIRTYPE), None, gnu),
                block(entry("./bin/tool"), b"old", gnu),
                block(entry("./bin/tool"), b"new", gnu),
                block(entry("./bin/same", tarfile.LNKTYPE, "bin/tool"), None, gnu),
                block(entry("./lib/link", tarfile.SYMTYPE, "../bin/tool"), None, gnu),
                block(entry("g" * 120 + "/gnu.txt"), b"gnu", gnu),
                block(entry("p" * 120 + "/\u00fc.txt"), b"pax", tarfile.PAX_FORMAT),
            ]) + b"\0" * 1024
            # One tar in two gzip members, as a stream compressed in pieces is.
            half = len(tar) // 2
            open(sys.argv[1], "wb").write(gzip.compress(tar[:half]) + gzip.compress(tar[half:]))
            """#,
            archive
        )
        let target = work.appendingPathComponent("out")
        #expect(try ArchiveExtractor.extract(archive, kind: .tarGzip, into: target) == 7)
        let tool = target.appendingPathComponent("bin/tool")
        #expect(try String(contentsOf: tool, encoding: .utf8) == "new")
        #expect(try String(contentsOf: target.appendingPathComponent("bin/same"), encoding: .utf8) == "new")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target.appendingPathComponent("lib/link").path) == "../bin/tool")
        #expect(try FileManager.default.attributesOfItem(atPath: tool.path)[.posixPermissions] as? Int == 0o640)
        #expect(try String(contentsOf: target.appendingPathComponent(String(repeating: "g", count: 120) + "/gnu.txt"), encoding: .utf8) == "gnu")
        #expect(try String(contentsOf: target.appendingPathComponent(String(repeating: "p", count: 120) + "/ü.txt"), encoding: .utf8) == "pax")
    }

    @Test("a staged install replaces the old one only when placed; a discarded one leaves no trace")
    func staging() throws {
        let work = try scratch()
        let target = work.appendingPathComponent("tools/kit/1")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: target.appendingPathComponent("version"))
        let failed = try StagingDirectory(for: target)
        try Data("half".utf8).write(to: failed.url.appendingPathComponent("version"))
        failed.discard()
        #expect(try String(contentsOf: target.appendingPathComponent("version"), encoding: .utf8) == "old")
        let staged = try StagingDirectory(for: target)
        try Data("new".utf8).write(to: staged.url.appendingPathComponent("version"))
        try staged.place()
        #expect(try String(contentsOf: target.appendingPathComponent("version"), encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.deletingLastPathComponent().path) == ["1"])
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

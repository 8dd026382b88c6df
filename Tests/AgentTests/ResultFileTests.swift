import Foundation
import Testing
import WireProtocol

@testable import testfleet_agent

/// What the agent makes of `{result_file}`: the content decides between JSON and JUnit XML, and nothing a test
/// leaves there (a pipe, a device, a huge file) holds up or exhausts the agent.
@Suite("Result files")
struct ResultFileTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-result-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func file(_ name: String = "result") -> URL { directory.appendingPathComponent(name) }

    @Test("no file, JSON, JUnit XML: told apart by their content")
    func kinds() throws {
        #expect(ResultFile.read(file("missing")) == .absent)
        try Data(#"  {"status": "skipped"}"#.utf8).write(to: file("json"))
        #expect(ResultFile.read(file("json")) == .json(Data(#"  {"status": "skipped"}"#.utf8)))
        try Data("\n<testsuite><testcase classname='c' name='n'/></testsuite>".utf8).write(to: file("xml"))
        #expect(ResultFile.read(file("xml")) == .junit([TestRecord(classname: "c", name: "n", status: .passed)]))
        try Data("<!DOCTYPE x><testsuite/>".utf8).write(to: file("dtd"))
        guard case .unreadable(let reason) = ResultFile.read(file("dtd")) else {
            Issue.record("a DTD was read")
            return
        }
        #expect(reason.contains("document type"))
    }

    @Test("a pipe, a directory or a device is not read, and reading it does not wait")
    func notRegularFiles() throws {
        let pipe = file("pipe")
        #expect(mkfifo(pipe.path, 0o600) == 0)
        let start = ContinuousClock.now
        #expect(ResultFile.read(pipe) == .unreadable("it is not a regular file"))
        #expect(ContinuousClock.now - start < .seconds(1))
        try FileManager.default.createDirectory(at: file("dir"), withIntermediateDirectories: true)
        #expect(ResultFile.read(file("dir")) == .unreadable("it is not a regular file"))
        try FileManager.default.createSymbolicLink(at: file("zero"), withDestinationURL: URL(fileURLWithPath: "/dev/zero"))
        #expect(ResultFile.read(file("zero")) == .unreadable("it is not a regular file"))
    }

    @Test("a file past the limit is not read, however it starts")
    func tooLarge() throws {
        let big = file("big")
        try Data("<testsuite>".utf8).write(to: big)
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: UInt64(TestLimits().fileBytes) + 1)
        try handle.close()
        #expect(ResultFile.read(big) == .unreadable("it holds 52428801 bytes, more than the 50 MiB read"))
    }
}

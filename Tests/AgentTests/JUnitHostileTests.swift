import Foundation
import Testing
import WireProtocol

@testable import JUnitXML

/// Hostile result files: every one is refused with a reason (or read harmlessly), quickly, without memory
/// growing, without fetching or reading anything else.
@Suite("JUnit XML: hostile files")
struct JUnitHostileTests {
    /// The classic "billion laughs": ten levels of ten references, 10^9 `lol`s if expanded.
    static let billionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE testsuites [
         <!ENTITY lol "lol">
         <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
         <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
         <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
         <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
         <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
         <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
         <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
         <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
         <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <testsuites><testsuite name="&lol9;"><testcase name="&lol9;"><failure message="&lol9;">&lol9;</failure></testcase></testsuite></testsuites>
        """

    /// The resident set of this process, in bytes.
    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    /// Runs `body` and checks that it took under a second and grew the resident set by under 16 MiB.
    static func cheaply<T>(_ what: String, _ body: () throws -> T) rethrows -> T {
        let memory = residentBytes()
        let start = ContinuousClock.now
        let result = try body()
        let elapsed = ContinuousClock.now - start
        let grown = residentBytes() - memory
        #expect(elapsed < .seconds(1), "\(what) took \(elapsed)")
        #expect(grown < 16 << 20, "\(what) grew the resident set by \(grown) bytes")
        return result
    }

    @Test("a billion laughs costs nothing: refused for its DTD before any parser sees it")
    func billionLaughs() throws {
        let reason = try Self.cheaply("billion laughs") { try JUnitFileTests.refusal(Self.billionLaughs) }
        #expect(reason.contains("document type"))
    }

    @Test("a billion laughs given to the parser itself: no entity is kept or expanded; it stops at the first reference")
    func billionLaughsPastThePrologue() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tf-laughs-\(UUID().uuidString).xml")
        try Self.billionLaughs.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let reading = Self.cheaply("billion laughs in the parser") { JUnitFile.parse(file, limits: TestLimits()) }
        guard case .refused(let reason) = reading else {
            Issue.record("read \(reading)")
            return
        }
        #expect(reason.contains("not well-formed") || reason.contains("document type") || reason.contains("entity"))
    }

    @Test(
        "document types, entities and external references are refused, wherever in the prologue they stand",
        arguments: [
            // Quadratic blow-up: one large entity referenced many times.
            "<!DOCTYPE testsuite [<!ENTITY big \"\(String(repeating: "x", count: 100_000))\">]><testsuite><testcase name=\"\(String(repeating: "&big;", count: 10_000))\"/></testsuite>",
            "<?xml version=\"1.0\"?><!DOCTYPE testsuite [<!ENTITY pw SYSTEM \"file:///etc/passwd\">]><testsuite><testcase name=\"&pw;\"/></testsuite>",
            "<!DOCTYPE testsuite SYSTEM \"http://127.0.0.1:9/junit.dtd\"><testsuite/>",
            "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><testsuite/>",
            "\u{FEFF}<?xml version=\"1.0\"?><!-- a comment with > and -- inside? no: - > -->\n<?pi data?>\n<!DOCTYPE testsuite><testsuite/>",
            "<!doctype testsuite><testsuite/>",
            "<!ENTITY x \"y\"><testsuite/>",
        ]
    )
    func declarations(_ text: String) throws {
        let reason = try Self.cheaply("a declaration") { try JUnitFileTests.refusal(text) }
        #expect(reason.contains("document type"))
    }

    @Test("an entity that is not declared, in text or an attribute, is refused")
    func undeclaredEntity() throws {
        let reason = try Self.cheaply("undeclared entity") {
            try JUnitFileTests.refusal("<testsuite><testcase name=\"&lol9;\"><failure>&lol9;</failure></testcase></testsuite>")
        }
        #expect(reason.contains("entity &lol9;"), "\(reason)")
    }

    @Test("XInclude is not processed: the file it names is not read")
    func xinclude() throws {
        let tests = try JUnitFileTests.tests(
            """
            <testsuite xmlns:xi="http://www.w3.org/2001/XInclude"><testcase name="a"><failure message="m">\
            <xi:include href="/etc/passwd" parse="text"/></failure></testcase></testsuite>
            """
        )
        try #require(tests.count == 1)
        #expect(tests[0].status == .failed)
        #expect(!(tests[0].output ?? "").contains("root:"))
    }

    @Test(
        "malformed files are refused with where and why",
        arguments: [
            ("<testsuite><testcase name=\"a\">", "ends early"),
            ("<testsuite><testcase name=\"a\"></testsuite></testcase>", "does not match"),
            ("<testsuite><testcase name=\"a\"/></testsuite><testsuite/>", "goes on after its root"),
            ("<testsuite><testcase name=\"a\u{1}\"/></testsuite>", "not well-formed"),
            ("<testsuite><testcase name=a/></testsuite>", "not well-formed"),
            ("<html><body>not a test report</body></html>", "<html>"),
            ("<", "not XML"),
            ("<?xml version=\"1.0\"?>", "ends before its root element"),
        ]
    )
    func malformed(_ text: String, _ expected: String) throws {
        let reason = try Self.cheaply("malformed") { try JUnitFileTests.refusal(text) }
        #expect(reason.contains(expected), "\(reason)")
    }

    @Test("bytes that are not UTF-8, other encodings, NUL: refused")
    func encodings() throws {
        #expect(
            try JUnitFileTests.refusal(bytes: Data([0xFF, 0xFE]) + Data("<testsuite/>".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
                .contains("UTF-16")
        )
        #expect(try JUnitFileTests.refusal("<?xml version='1.0' encoding='UTF-16'?><testsuite/>").contains("UTF-16"))
        #expect(try JUnitFileTests.refusal("<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><testsuite/>").contains("EBCDIC"))
        let invalid = Data("<testsuite><testcase name=\"".utf8) + Data([0xC3, 0x28, 0xA0]) + Data("\"/></testsuite>".utf8)
        #expect(try JUnitFileTests.refusal(bytes: invalid).contains("not well-formed"))
        let nul = Data("<testsuite><testcase name=\"a".utf8) + Data([0]) + Data("\"/></testsuite>".utf8)
        #expect(try JUnitFileTests.refusal(bytes: nul).contains("not well-formed"))
    }

    @Test("deep nesting stops the reading early")
    func deepNesting() throws {
        let depth = 100_000
        let text = "<testsuite>" + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + "</testsuite>"
        let reason = try Self.cheaply("deep nesting") { try JUnitFileTests.refusal(text) }
        #expect(reason == "its elements nest deeper than 256")
    }

    @Test("a huge attribute is refused by the parser or cut to the limit")
    func hugeAttribute() throws {
        let text = "<testsuite><testcase name=\"\(String(repeating: "n", count: 12 << 20))\"/></testsuite>"
        switch try JUnitFileTests.read(text) {
        case .tests(let tests): #expect(tests.count == 1 && tests[0].name.utf8.count <= TestLimits().nameBytes)
        case .refused(let reason): #expect(reason.contains("not well-formed"))
        }
    }

    @Test("a file larger than the limit is not read at all")
    func tooLarge() throws {
        var limits = TestLimits()
        limits.fileBytes = 1 << 20
        let text = "<testsuite>" + String(repeating: "<testcase name=\"t\"/>", count: 60_000) + "</testsuite>"
        #expect(try JUnitFileTests.refusal(text, limits: limits).contains("more than the 1 MiB read"))
    }
}

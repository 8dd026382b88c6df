import Foundation
import Testing
import WireProtocol

@testable import JUnitXML

/// Reading JUnit XML as test tools write it, and refusing what is hostile or too large, quickly and within
/// bounds.
@Suite("JUnit XML result files")
struct JUnitFileTests {
    /// Writes `text` to a fresh file and reads it as the agent does.
    static func read(_ text: String, limits: TestLimits = TestLimits()) throws -> JUnitFile.Reading {
        try read(bytes: Data(text.utf8), limits: limits)
    }

    static func read(bytes: Data, limits: TestLimits = TestLimits()) throws -> JUnitFile.Reading {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tf-junit-\(UUID().uuidString).xml")
        try bytes.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return JUnitFile.read(file, head: bytes.prefix(JUnitFile.prologueBytes), size: bytes.count, limits: limits)
    }

    static func tests(_ text: String, limits: TestLimits = TestLimits()) throws -> [TestRecord] {
        switch try read(text, limits: limits) {
        case .tests(let tests): return tests
        case .refused(let reason):
            Issue.record("refused: \(reason)")
            return []
        }
    }

    static func refusal(_ text: String, limits: TestLimits = TestLimits()) throws -> String {
        try refusal(bytes: Data(text.utf8), limits: limits)
    }

    static func refusal(bytes: Data, limits: TestLimits = TestLimits()) throws -> String {
        switch try read(bytes: bytes, limits: limits) {
        case .tests(let tests):
            Issue.record("read \(tests.count) tests where a refusal was expected")
            return ""
        case .refused(let reason): return reason
        }
    }

    /// What pytest 9 writes for passing, failing, erroring and skipped tests.
    static let pytest = """
        <?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.281"><testcase classname="test_shop" name="test_login" time="0.003" /><testcase classname="test_shop" name="test_pay" time="0.250"><failure message="AssertionError: payment declined&#10;assert '1.0' != '1.0'">&gt;   def test_pay(): assert V != "1.0", "payment declined"
        E   AssertionError: payment declined

        test_shop.py:5: AssertionError</failure></testcase><testcase classname="test_shop" name="test_orders" time="0.001"><error message="failed on setup with &quot;RuntimeError: database unreachable&quot;">E   RuntimeError: database unreachable</error></testcase><testcase classname="test_shop" name="test_gpu" time="0.000"><skipped type="pytest.skip" message="no GPU here">/tmp/test_shop.py:9: no GPU here</skipped></testcase></testsuite></testsuites>
        """

    @Test("pytest's file: every testcase with its status, duration, message and output")
    func pytestFile() throws {
        let tests = try Self.tests(Self.pytest)
        try #require(tests.count == 4)
        #expect(tests.map(\.name) == ["test_login", "test_pay", "test_orders", "test_gpu"])
        #expect(tests.map(\.status) == [.passed, .failed, .error, .skipped])
        #expect(tests.allSatisfy { $0.classname == "test_shop" })
        #expect(tests.map(\.durationMs) == [3, 250, 1, 0])
        #expect(tests[1].message == "AssertionError: payment declined\nassert '1.0' != '1.0'")
        #expect(tests[1].output?.contains("> " + "  def test_pay()") == true)
        #expect(tests[1].output?.contains("test_shop.py:5: AssertionError") == true)
        #expect(tests[2].message == "failed on setup with \"RuntimeError: database unreachable\"")
        #expect(tests[3].message == "no GPU here")
        #expect(tests[0].output == nil && tests[3].output == nil)
    }

    @Test("one testsuite as the root; nested suites; messages from text; output from system-out and system-err")
    func shapes() throws {
        let tests = try Self.tests(
            """
            <testsuite name="outer"><testsuite name="pkg.inner">
              <testcase name="a" time="1,234.5"><failure><![CDATA[
                first line of the failure
            second line]]></failure><system-out>out text</system-out><system-err>err text</system-err></testcase>
              <testcase classname="" name="b"><skipped/></testcase>
            </testsuite><testcase name="c" classname="x.Y" time="nonsense"/></testsuite>
            """
        )
        try #require(tests.count == 3)
        #expect(tests[0].classname == "pkg.inner" && tests[0].durationMs == 1_234_500)
        #expect(tests[0].message == "first line of the failure")
        let output = try #require(tests[0].output)
        #expect(output.contains("second line") && output.contains("out text") && output.contains("err text"))
        #expect(tests[1].classname == "" && tests[1].status == .skipped && tests[1].message == nil)
        #expect(tests[2].classname == "x.Y" && tests[2].durationMs == nil && tests[2].status == .passed)
    }

    @Test("a test rerun by the tool: passed after failing is flaky; failing every time is failed")
    func reruns() throws {
        let tests = try Self.tests(
            """
            <testsuites><testsuite name="surefire">
              <testcase classname="shop.CartTest" name="total"><flakyFailure message="off by one"><stackTrace>at Cart.total</stackTrace></flakyFailure></testcase>
              <testcase classname="shop.CartTest" name="empty"><failure message="boom"/><rerunFailure message="boom again"/></testcase>
            </testsuite></testsuites>
            """
        )
        try #require(tests.count == 2)
        #expect(tests[0].status == .passed && tests[0].flaky == true && tests[0].output?.contains("at Cart.total") == true)
        #expect(tests[1].status == .failed && tests[1].flaky == nil && tests[1].message == "boom")
    }

    @Test("characters XML allows but text fields do not (DEL, C1 controls) are replaced, not sent")
    func unstorableCharacters() throws {
        let tests = try Self.tests("<testsuite><testcase name='a\u{7F}b'><failure message='m\u{85}'>x\u{9B}[31my</failure></testcase></testsuite>")
        try #require(tests.count == 1)
        #expect(tests[0].name == "a\u{FFFD}b" && tests[0].message == "m\u{FFFD}")
        #expect(tests[0].output == "x\u{FFFD}[31my")
        let all = [tests[0].name, tests[0].message ?? "", tests[0].output ?? ""]
        #expect(all.allSatisfy { StorableText.firstRefused(in: $0) == nil })
    }

    @Test("an empty suite reads as no tests")
    func empty() throws {
        #expect(try Self.tests("<testsuites/>").isEmpty)
        #expect(try Self.tests("\u{FEFF}<?xml version='1.0'?>\n<!-- written by a tool -->\n<testsuite name='x' tests='0'></testsuite>").isEmpty)
    }

    @Test("output is kept to its limit, head and tail; past the case's total, tests keep a note instead")
    func boundedOutput() throws {
        var limits = TestLimits()
        limits.outputBytes = 1000
        limits.totalOutputBytes = 2500
        let long = (0..<5000).map { "line \($0)" }.joined(separator: "\n")
        let tests = try Self.tests(
            "<testsuite>" + (1...4).map { "<testcase name='t\($0)'><system-out>\(long)</system-out></testcase>" }.joined() + "</testsuite>",
            limits: limits
        )
        try #require(tests.count == 4)
        let first = try #require(tests[0].output)
        #expect(first.utf8.count < 1100)
        #expect(first.hasPrefix("line 0\nline 1") && first.hasSuffix("line 4999"))
        #expect(first.contains("bytes left out"))
        #expect(tests[1].output?.hasSuffix("line 4999") == true)
        #expect(tests[3].output?.hasPrefix("(output left out") == true)
    }

    @Test("names and messages are cut at their limits; past the case's total text the file is not read")
    func boundedText() throws {
        var limits = TestLimits()
        limits.nameBytes = 50
        limits.messageBytes = 40
        let name = String(repeating: "ü", count: 100)
        let tests = try Self.tests("<testsuite><testcase name='\(name)'><failure message='\(name)'/></testcase></testsuite>", limits: limits)
        try #require(tests.count == 1)
        #expect(tests[0].name.utf8.count <= 50 && tests[0].name.hasSuffix("…"))
        #expect(tests[0].message.map { $0.utf8.count <= 40 } == true)
        limits.totalTextBytes = 500
        let many = "<testsuite>" + (1...100).map { "<testcase classname='c' name='test_\($0)'/>" }.joined() + "</testsuite>"
        #expect(try Self.refusal(many, limits: limits).contains("names and messages"))
    }

    @Test("more tests than the limit: not read")
    func tooManyTests() throws {
        var limits = TestLimits()
        limits.tests = 10
        let text = "<testsuite>" + String(repeating: "<testcase name='t'/>", count: 11) + "</testsuite>"
        #expect(try Self.refusal(text, limits: limits) == "it holds more than 10 tests")
    }
}

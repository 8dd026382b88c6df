import Foundation
import WireProtocol

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Turns the parser's events for a JUnit XML document into tests, one per `<testcase>`, within
/// ``TestLimits``. Anything that belongs to a document type declaration, and any error the parser reports
/// other than a warning, stops the parse with a reason.
final class JUnitCollector: NSObject, XMLParserDelegate {
    /// The children of a `<testcase>` that matter.
    enum Section: Equatable {
        case failure, error, skipped, systemOut, systemErr
        /// A failed try before the one that counts: `flakyFailure`, `rerunFailure` and their `Error` forms.
        case rerun
        case other

        init(element: String) {
            switch element {
            case "failure": self = .failure
            case "error": self = .error
            case "skipped": self = .skipped
            case "system-out": self = .systemOut
            case "system-err": self = .systemErr
            case "flakyFailure", "flakyError", "rerunFailure", "rerunError": self = .rerun
            default: self = .other
            }
        }

        var isOutput: Bool { self != .skipped && self != .other }
    }

    /// The `<testcase>` being read.
    struct Pending {
        var depth: Int
        var test: TestRecord
        /// The element that set the status, while its text may still give the message.
        var messageFromText: Section?
        var firstLines: HeadTailText?
        var output: HeadTailText
        var rerun = false
    }

    /// JUnit XML nests a few levels; anything deeper is not a test report.
    static let maxDepth = 256

    let limits: TestLimits
    private(set) var tests: [TestRecord] = []
    private(set) var refusal: String?
    private var depth = 0
    private var suites: [(depth: Int, name: String)] = []
    private var pending: Pending?
    private var section: (depth: Int, kind: Section)?
    private var outputLeft: Int
    private var textLeft: Int

    init(limits: TestLimits) {
        self.limits = limits
        outputLeft = limits.totalOutputBytes
        textLeft = limits.totalTextBytes
    }

    /// Stops the parse; the first reason given is the one reported.
    private func refuse(_ parser: XMLParser, _ reason: String) {
        if refusal == nil { refusal = reason }
        parser.abortParsing()
    }

    func parser(
        _ parser: XMLParser,
        didStartElement element: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        depth += 1
        guard refusal == nil else { return }
        guard depth <= Self.maxDepth else { return refuse(parser, "its elements nest deeper than \(Self.maxDepth)") }
        if depth == 1 && element != "testsuites" && element != "testsuite" {
            return refuse(parser, "its root element is <\(element)>, not <testsuites> or <testsuite>")
        }
        guard var current = pending else {
            if element == "testsuite" { suites.append((depth, attributes["name"] ?? "")) }
            if element == "testcase" { startTest(parser, attributes) }
            return
        }
        guard section == nil, depth == current.depth + 1 else { return }
        let kind = Section(element: element)
        section = (depth, kind)
        if kind.isOutput && !current.output.isEmpty { current.output.append("\n") }
        let status: TestStatus? =
            switch kind {
            case .failure: .failed
            case .error: .error
            case .skipped: .skipped
            default: nil
            }
        if let status, current.test.status == .passed || (current.test.status == .skipped && status.isFailing) {
            current.test.status = status
            current.test.message = attributes["message"].flatMap { $0.isEmpty ? nil : Self.cut($0, limits.messageBytes) }
            current.messageFromText = current.test.message == nil ? kind : nil
            current.firstLines = current.test.message == nil ? HeadTailText(limit: 2 * limits.messageBytes) : nil
        }
        if kind == .rerun { current.rerun = true }
        pending = current
    }

    private func startTest(_ parser: XMLParser, _ attributes: [String: String]) {
        guard tests.count < limits.tests else {
            return refuse(parser, "it holds more than \(limits.tests) tests")
        }
        let seconds = attributes["time"].flatMap { Double($0.replacingOccurrences(of: ",", with: "")) }
        let test = TestRecord(
            classname: Self.cut(attributes["classname"] ?? suites.last?.name ?? "", limits.nameBytes),
            name: Self.cut(attributes["name"] ?? "", limits.nameBytes),
            status: .passed,
            durationMs: seconds.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e9 ? Int64(($0 * 1000).rounded()) : nil }
        )
        pending = Pending(depth: depth, test: test, output: HeadTailText(limit: limits.outputBytes))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text(string)
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        text(String(decoding: block, as: UTF8.self))
    }

    /// Text inside the test, kept cleaned of what text fields cannot hold (XML allows DEL and the C1 controls),
    /// so that what is kept stays within its limit.
    private func text(_ string: String) {
        guard refusal == nil, let section, var current = pending else { return }
        let cleaned = StorableText.cleaned(string)
        if section.kind.isOutput { current.output.append(cleaned) }
        if current.messageFromText == section.kind { current.firstLines?.append(cleaned) }
        pending = current
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        defer { depth -= 1 }
        if let open = section, open.depth == depth {
            section = nil
            if var current = pending, current.messageFromText == open.kind {
                current.test.message = current.firstLines.flatMap { Self.firstLine($0.text, limit: limits.messageBytes) }
                current.messageFromText = nil
                current.firstLines = nil
                pending = current
            }
        } else if let current = pending, current.depth == depth {
            finishTest(parser, current)
        } else if suites.last?.depth == depth {
            suites.removeLast()
        }
    }

    private func finishTest(_ parser: XMLParser, _ current: Pending) {
        pending = nil
        var test = current.test
        if !current.output.isEmpty {
            let output = current.output.text
            if output.utf8.count <= outputLeft {
                test.output = output
                outputLeft -= output.utf8.count
            } else {
                test.output = "(output left out: the tests before it hold the \(limits.totalOutputBytes >> 20) MiB of output kept per case)"
                outputLeft = 0
            }
        }
        if current.rerun && test.status == .passed { test.flaky = true }
        textLeft -= test.classname.utf8.count + test.name.utf8.count + (test.message?.utf8.count ?? 0)
        guard textLeft >= 0 else {
            return refuse(parser, "its tests' names and messages hold more than \(limits.totalTextBytes >> 20) MiB")
        }
        tests.append(test)
    }

    // MARK: Refused

    func parser(_ parser: XMLParser, parseErrorOccurred error: any Error) {
        let code = (error as NSError).code
        // Warnings and namespace errors leave a well-formed document; the parser goes on.
        if Self.warnings.contains(code) || (200...205).contains(code) { return }
        refuse(parser, "it is not well-formed XML (line \(parser.lineNumber), column \(parser.columnNumber): \(Self.describe(code)))")
    }

    func parser(_ parser: XMLParser, foundElementDeclarationWithName name: String, model: String) { refuseDTD(parser) }

    func parser(
        _ parser: XMLParser,
        foundAttributeDeclarationWithName name: String,
        forElement element: String,
        type: String?,
        defaultValue: String?
    ) {
        refuseDTD(parser)
    }

    func parser(_ parser: XMLParser, foundNotationDeclarationWithName name: String, publicID: String?, systemID: String?) {
        refuseDTD(parser)
    }

    func parser(
        _ parser: XMLParser,
        foundUnparsedEntityDeclarationWithName name: String,
        publicID: String?,
        systemID: String?,
        notationName: String?
    ) {
        refuseDTD(parser)
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        refuseDTD(parser)
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
        refuseDTD(parser)
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        refuse(parser, "it refers to the entity &\(name); which is not one of XML's own")
        return nil
    }

    private func refuseDTD(_ parser: XMLParser) {
        refuse(parser, JUnitFile.dtdRefusal)
    }

    // MARK: Text

    /// libxml2's warning codes (`XML_WAR_*`), except the one for an undeclared entity.
    static let warnings: Set<Int> = [93, 97, 98, 99, 100, 102, 106, 107]

    static func describe(_ code: Int) -> String {
        let known: [Int: String] = [
            4: "the document is empty", 5: "the document ends early or goes on after its root element", 9: "a character XML does not allow",
            26: "an entity that is not declared", 39: "an attribute without a value", 41: "an unescaped < in an attribute",
            68: "a name was expected", 73: "> was expected", 76: "an end tag that does not match its start tag",
            77: "the document ends inside an element",
        ]
        return known[code] ?? "parser error \(code)"
    }

    /// `text` with what text fields cannot hold replaced (``StorableText``), cut to at most `limit` UTF-8 bytes at a
    /// character boundary, with an ellipsis when cut.
    static func cut(_ text: String, _ limit: Int) -> String {
        let text = StorableText.cleaned(text)
        guard text.utf8.count > limit else { return text }
        var out = ""
        var size = 0
        for character in text {
            size += character.utf8.count
            if size > limit - 3 { break }
            out.append(character)
        }
        return out + "…"
    }

    /// The first line of `text` that is not blank, trimmed and cut to `limit`.
    static func firstLine(_ text: String, limit: Int) -> String? {
        text.split(whereSeparator: \.isNewline).lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty }.map { cut($0, limit) }
    }
}

import Foundation
import WireProtocol

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the tests of a JUnit XML file (root `<testsuites>` or `<testsuite>`), as pytest, `go test` with
/// go-junit-report, ctest, Maven Surefire and Robot Framework write it.
///
/// The file is streamed through libxml2 (Foundation's `XMLParser`), after its prologue was checked to hold no
/// document type declaration: no DTD is read, no entity declared or expanded, nothing fetched, so a "billion
/// laughs" costs no more than reading its first line. Files past ``TestLimits/fileBytes`` are not read.
public enum JUnitFile {
    public enum Reading: Equatable, Sendable {
        case tests([TestRecord])
        /// Why the file was not read, as a clause: "it declares a DTD …".
        case refused(String)
    }

    /// How much of the start of a file is scanned for its root element.
    public static let prologueBytes = 1 << 20

    static let dtdRefusal = "it declares a document type (<!DOCTYPE …>), and Testfleet reads no DTD or entity"

    /// Whether `head`, the start of a file, looks like XML rather than JSON: its first character is `<`.
    public static func looksLikeXML(_ head: some Collection<UInt8>) -> Bool {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let first = bytes.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        return first == UInt8(ascii: "<") || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE])
    }

    /// Reads the file at `url`, whose first bytes are `head` (up to ``prologueBytes``) and whose size is `size`.
    public static func read(_ url: URL, head: some Collection<UInt8>, size: Int, limits: TestLimits = TestLimits()) -> Reading {
        if let refusal = limits.sizeRefusal(size) { return .refused(refusal) }
        switch XMLPrologue.scan(head) {
        case .root(let name) where name == "testsuites" || name == "testsuite":
            break
        case .root(let name):
            return .refused("its root element is <\(name)>, not <testsuites> or <testsuite>")
        case .declaration:
            return .refused(dtdRefusal)
        case .encoding(let encoding):
            return .refused("it is written in \(encoding); result files are read as UTF-8")
        case .incomplete:
            return .refused(
                head.count < size ? "no root element starts in its first \(prologueBytes >> 20) MiB" : "it ends before its root element"
            )
        case .notXML:
            return .refused("it is not XML")
        }
        return parse(url, limits: limits)
    }

    /// Streams the file through the parser. Its prologue must have been checked: this is the second line of
    /// defence only (entity declarations are not kept, so an entity is never expanded, and any error stops it).
    static func parse(_ url: URL, limits: TestLimits) -> Reading {
        guard let parser = XMLParser(contentsOf: url) else { return .refused("it cannot be opened") }
        let collector = JUnitCollector(limits: limits)
        parser.delegate = collector
        parser.shouldResolveExternalEntities = false
        parser.externalEntityResolvingPolicy = .never
        let parsed = parser.parse()
        if let refusal = collector.refusal { return .refused(refusal) }
        guard parsed else {
            let code = (parser.parserError as NSError?)?.code ?? 0
            return .refused("it is not well-formed XML (\(JUnitCollector.describe(code)))")
        }
        return .tests(collector.tests)
    }
}

import ConfigFile
import Foundation
import Testing

/// The TOML 1.0.0 part of the toml-test suite (`toml-test/`, MIT): every valid document reads to the values
/// its `.json` file holds, every invalid one is refused with a line and column.
@Suite("TOML 1.0 compliance (toml-test)")
struct TOMLComplianceTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("toml-test")

    /// The corpus's files (paths relative to it) listed in `files-toml-1.0.0`, ending in `.toml`.
    static let listed: [String] = {
        let list = (try? String(contentsOf: corpus.appendingPathComponent("files-toml-1.0.0"), encoding: .utf8)) ?? ""
        return list.split(separator: "\n").map(String.init).filter { $0.hasSuffix(".toml") }
    }()
    static let valid = listed.filter { $0.hasPrefix("valid/") }
    static let invalid = listed.filter { $0.hasPrefix("invalid/") }

    @Test("the corpus is complete: every listed file is there, each valid document with its expected values")
    func corpusIsComplete() {
        #expect(Self.valid.count == 210 && Self.invalid.count == 499, "\(Self.valid.count) valid, \(Self.invalid.count) invalid")
        for path in Self.listed {
            #expect(FileManager.default.fileExists(atPath: Self.corpus.appendingPathComponent(path).path), "\(path) is missing")
        }
        for path in Self.valid {
            let json = String(path.dropLast(".toml".count)) + ".json"
            #expect(FileManager.default.fileExists(atPath: Self.corpus.appendingPathComponent(json).path), "\(json) is missing")
        }
    }

    @Test("valid documents read to the expected values", arguments: valid)
    func validDocument(_ path: String) throws {
        let bytes = try Data(contentsOf: Self.corpus.appendingPathComponent(path))
        let table: TOMLTable
        do {
            table = try TOML.parse(bytes: bytes)
        } catch {
            Issue.record("\(path) was refused: \(error)")
            return
        }
        let json = Self.corpus.appendingPathComponent(String(path.dropLast(".toml".count)) + ".json")
        let expected = try JSONSerialization.jsonObject(with: try Data(contentsOf: json), options: [.fragmentsAllowed])
        let differences = TaggedJSON.differences(.table(table), expected, at: "")
        #expect(differences.isEmpty, "\(path):\n\(differences.prefix(10).joined(separator: "\n"))")
    }

    @Test("invalid documents are refused with a line and column", arguments: invalid)
    func invalidDocument(_ path: String) throws {
        let bytes = try Data(contentsOf: Self.corpus.appendingPathComponent(path))
        do {
            let table = try TOML.parse(bytes: bytes)
            Issue.record("\(path) was accepted: \(TOMLValue.table(table).tomlText)")
        } catch {
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            #expect((1...lines).contains(error.line) && error.column >= 1, "\(path): \(error)")
            #expect(!error.message.isEmpty && error.description.hasPrefix("line \(error.line), column \(error.column): "))
        }
    }
}

/// toml-test's tagged JSON: each scalar is `{"type": …, "value": "…"}`, compared by meaning (`1e3` and
/// `1000.0`, `.6` and `.600` seconds are the same).
enum TaggedJSON {
    static func differences(_ value: TOMLValue, _ expected: Any, at path: String) -> [String] {
        switch value {
        case .table(let table):
            guard let object = expected as? [String: Any], !isTaggedScalar(object) else {
                return ["\(path): a table where \(expected) was expected"]
            }
            var found: [String] = []
            for key in Set(table.keys).union(object.keys).sorted() {
                guard let child = table[key] else {
                    found.append("\(path).\(key): missing")
                    continue
                }
                guard let want = object[key] else {
                    found.append("\(path).\(key): not expected (\(child.tomlText))")
                    continue
                }
                found += differences(child, want, at: "\(path).\(key)")
            }
            return found
        case .array(let values):
            guard let array = expected as? [Any], array.count == values.count else {
                return ["\(path): \(value.tomlText) where \(expected) was expected"]
            }
            return zip(values, array).enumerated().flatMap { differences($0.element.0, $0.element.1, at: "\(path)[\($0.offset)]") }
        default:
            guard let tagged = expected as? [String: String], let type = tagged["type"], let text = tagged["value"] else {
                return ["\(path): \(value.tomlText) where \(expected) was expected"]
            }
            return scalarMatches(value, type: type, text: text) ? [] : ["\(path): \(value) where \(type) \(text) was expected"]
        }
    }

    static func isTaggedScalar(_ object: [String: Any]) -> Bool {
        object.count == 2 && object["type"] is String && object["value"] is String
    }

    static func scalarMatches(_ value: TOMLValue, type: String, text: String) -> Bool {
        switch value {
        case .string(let string): return type == "string" && string == text
        case .integer(let integer): return type == "integer" && Int64(text) == integer
        case .boolean(let flag): return type == "bool" && text == (flag ? "true" : "false")
        case .float(let number):
            guard type == "float" else { return false }
            switch text {
            case "nan", "+nan", "-nan": return number.isNaN
            case "inf", "+inf": return number == .infinity
            case "-inf": return number == -.infinity
            default: return Double(text) == number
            }
        case .datetime(let written): return type == kind(of: written) && canonical(written) == canonical(text)
        case .array, .table: return false
        }
    }

    /// The tagged type of a date/time as ``TOMLValue/datetime(_:)`` holds it.
    static func kind(of text: String) -> String {
        guard text.contains("-") && text.count >= 10 && Array(text)[4] == "-" else { return "time-local" }
        guard let separator = text.firstIndex(of: "T") else { return "date-local" }
        let time = text[text.index(after: separator)...]
        return time.hasSuffix("Z") || time.contains("+") || time.contains("-") ? "datetime" : "datetime-local"
    }

    /// Upper case, `T` between date and time, no trailing zeros in the fraction, `Z` for a zero offset.
    static func canonical(_ text: String) -> String {
        var text = text.uppercased().replacingOccurrences(of: " ", with: "T")
        for zero in ["+00:00", "-00:00"] where text.hasSuffix(zero) { text = String(text.dropLast(zero.count)) + "Z" }
        guard let dot = text.firstIndex(of: ".") else { return text }
        let digitsEnd = text[text.index(after: dot)...].firstIndex { !$0.isNumber } ?? text.endIndex
        var fraction = String(text[text.index(after: dot)..<digitsEnd])
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return String(text[..<dot]) + (fraction.isEmpty ? "" : "." + fraction) + text[digitsEnd...]
    }
}

import ConfigFile
import Foundation
import Testing

/// What the reader once accepted and TOML does not, each refused where the document goes wrong; and what
/// the config files themselves use.
@Suite("TOML reader")
struct TOMLReaderTests {
    /// (document, line, column, a piece of the message)
    static let refused: [(String, Int, Int, String)] = [
        ("a = 1\nb = 007\n", 2, 5, "leading zero"),
        ("a = _1", 1, 5, "not a valid number"),
        ("a = 1__0", 1, 5, "not a valid number"),
        ("host = 10.0.0.1", 1, 8, "not a valid number"),
        ("when = today", 1, 8, "not a valid number"),
        ("when = 2024-13-01", 1, 8, "not a valid date"),
        ("when = 2023-02-29T10:00:00Z", 1, 8, "not a valid date"),
        ("when = 2024-01-01x", 1, 8, "not a valid date"),
        ("when = 10:00", 1, 8, "not a valid date"),
        ("[a]\nb.c = 1\n[a.b]\n", 3, 1, "already defined by dotted keys"),
        ("[a.b]\nx = 1\n[a]\nb.y = 2\n", 4, 1, "defined by a header"),
        ("t = {a = 1, a = 2}", 1, 13, "defined twice"),
        ("t = {a.b = 1, a.b = 2}", 1, 15, "defined twice"),
        ("t = {a = 1}\nt.b = 2\n", 2, 1, "not a table"),
        ("t = {a = 1,}", 1, 12, "expected a key"),
        ("t = {a = 1\n}", 1, 11, "inline table"),
        ("s = \"tab\\e\"", 1, 9, "invalid escape"),
        ("s = \"a\u{7}b\"", 1, 7, "control character U+0007"),
        ("# a \u{7F} comment\n", 1, 5, "control character U+007F"),
        ("a = 1\rb = 2", 1, 6, "control character U+000D"),
        ("a = 1 b = 2", 1, 7, "one key or header per line"),
        ("a = [1,,2]", 1, 8, "expected a value"),
        ("[[t]]\n[t]\n", 2, 1, "already an array of tables"),
        ("a = [1]\n[[a]]\n", 2, 1, "array written as a value"),
        ("x = 9223372036854775808", 1, 5, "out of the range"),
    ]

    @Test("refused with the line and column where the document goes wrong")
    func refusals() {
        for (document, line, column, message) in Self.refused {
            do {
                let table = try TOML.parse(document)
                Issue.record("accepted \(document.debugDescription): \(TOMLValue.table(table).tomlText)")
            } catch {
                #expect(error.line == line && error.column == column, "\(document.debugDescription): \(error)")
                #expect(error.message.contains(message), "\(document.debugDescription): \(error)")
            }
        }
    }

    @Test("bytes that are not UTF-8 are refused at their place")
    func encoding() {
        let bytes: [UInt8] = Array("a = 1\nb = \"x".utf8) + [0xFF] + Array("\"\n".utf8)
        #expect(throws: TOMLError.self) { try TOML.parse(bytes: bytes) }
        do {
            _ = try TOML.parse(bytes: bytes)
        } catch {
            #expect(error.line == 2 && error.column == 7 && error.message.contains("not valid UTF-8"), "\(error)")
        }
    }

    @Test("values: every kind, dates kept as written with T and Z; the text written back reads the same")
    func values() throws {
        let table = try TOML.parse(
            """
            \u{FEFF}int = +1_000
            hex = 0xDEAD_beef
            float = -6.626e-34
            inf = -inf
            offset = 1979-05-27 07:32:00.5z
            local = 1979-05-27t07:32:00
            date = 1979-05-27
            time = 07:32:00.999
            quoted."a.b" = { c = [1, "two", [3.0]], "" = true }
            multi = \"\"\"
              one \\
              two\"\"\"\"\"
            raw = '''C:\\path'''
            """
        )
        #expect(table["int"] == .integer(1000) && table["hex"] == .integer(0xDEAD_BEEF))
        #expect(table["float"] == .float(-6.626e-34) && table["inf"] == .float(-.infinity))
        #expect(table["offset"] == .datetime("1979-05-27T07:32:00.5Z") && table["local"] == .datetime("1979-05-27T07:32:00"))
        #expect(table["date"] == .datetime("1979-05-27") && table["time"] == .datetime("07:32:00.999"))
        let quoted = try #require(table["quoted"]?.table?["a.b"]?.table)
        #expect(quoted["c"] == .array([.integer(1), .string("two"), .array([.float(3)])]) && quoted[""] == .boolean(true))
        #expect(table["multi"] == .string("  one two\"\"") && table["raw"] == .string(#"C:\path"#))
        #expect(try TOML.parse(table.keys.map { "\(TOML.key($0)) = \(table[$0]!.tomlText)" }.joined(separator: "\n")) == table)
    }
}

import Foundation

/// The TOML reader behind ``TOML/parse(_:)``: a single pass over the scalars.
struct TOMLParser {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var root = TOMLTable()
    /// The path of the table that key/value lines go into.
    private var current: [PathStep] = []
    /// Tables defined by a header or by dotted keys, to refuse defining one twice.
    private var defined: Set<String> = []

    /// One step of a table path; `element` picks the last element of an array of tables.
    private enum PathStep: Equatable {
        case key(String)
        case lastElement(String)
    }

    init(text: String) {
        self.scalars = Array(text.unicodeScalars)
    }

    static func isBareKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        while true {
            skipWhitespaceAndComments(newlines: true)
            guard let scalar = peek() else { break }
            if scalar == "[" {
                try parseHeader()
            } else {
                let keys = try parseKey()
                skipSpaces()
                try expect("=")
                skipSpaces()
                let value = try parseValue()
                try insert(value, at: keys, under: current)
            }
            try endOfLine()
        }
        return root
    }

    // MARK: Structure

    private mutating func parseHeader() throws(TOMLError) {
        advance()
        let isArray = peek() == "["
        if isArray { advance() }
        skipSpaces()
        let keys = try parseKey()
        skipSpaces()
        try expect("]")
        if isArray { try expect("]") }
        var path: [PathStep] = keys.dropLast().map { .key($0) }
        let last = keys.last!
        let currentLine = line
        if isArray {
            try modifyTable(at: path) { (table: inout TOMLTable) throws(TOMLError) in
                var elements: [TOMLValue]
                switch table[last] {
                case nil: elements = []
                case .array(let existing) where existing.allSatisfy({ $0.table != nil }): elements = existing
                default:
                    throw TOMLError(line: currentLine, message: "\(last) is already defined and is not an array of tables")
                }
                elements.append(.table(TOMLTable()))
                table[last] = .array(elements)
            }
            path.append(.lastElement(last))
        } else {
            path.append(.key(last))
            let name = describe(path)
            if defined.contains(name) {
                throw TOMLError(line: line, message: "table [\(keys.joined(separator: "."))] is defined twice")
            }
            defined.insert(name)
            try modifyTable(at: path) { (_: inout TOMLTable) throws(TOMLError) in }
        }
        current = path
    }

    private func describe(_ path: [PathStep]) -> String {
        path.map {
            switch $0 {
            case .key(let key): key
            case .lastElement(let key): key + "[]"
            }
        }.joined(separator: "\u{1}")
    }

    private mutating func insert(
        _ value: TOMLValue,
        at keys: [String],
        under base: [PathStep]
    )
        throws(TOMLError)
    {
        let path = base + keys.dropLast().map { PathStep.key($0) }
        let last = keys.last!
        let currentLine = line
        try modifyTable(at: path) { (table: inout TOMLTable) throws(TOMLError) in
            if table[last] != nil {
                throw TOMLError(line: currentLine, message: "key \(keys.joined(separator: ".")) is defined twice")
            }
            table[last] = value
        }
    }

    /// Walks (and creates) the tables along `path` and lets `body` change the last one.
    private mutating func modifyTable(
        at path: [PathStep],
        _ body: (inout TOMLTable) throws(TOMLError) -> Void
    ) throws(TOMLError) {
        let currentLine = line
        func walk(_ table: inout TOMLTable, _ steps: ArraySlice<PathStep>) throws(TOMLError) {
            guard let step = steps.first else {
                try body(&table)
                return
            }
            switch step {
            case .key(let key):
                var child: TOMLTable
                switch table[key] {
                case nil: child = TOMLTable()
                case .table(let existing): child = existing
                case .array(let elements) where elements.last?.table != nil:
                    var elements = elements
                    var last = elements.removeLast().table!
                    try walk(&last, steps.dropFirst())
                    elements.append(.table(last))
                    table[key] = .array(elements)
                    return
                default: throw TOMLError(line: currentLine, message: "\(key) is not a table")
                }
                try walk(&child, steps.dropFirst())
                table[key] = .table(child)
            case .lastElement(let key):
                guard var elements = table[key]?.array, var last = elements.popLast()?.table else {
                    throw TOMLError(line: currentLine, message: "\(key) is not an array of tables")
                }
                try walk(&last, steps.dropFirst())
                elements.append(.table(last))
                table[key] = .array(elements)
            }
        }
        try walk(&root, path[...])
    }

    // MARK: Keys

    private mutating func parseKey() throws(TOMLError) -> [String] {
        var keys: [String] = []
        while true {
            skipSpaces()
            guard let scalar = peek() else { throw TOMLError(line: line, message: "expected a key") }
            if scalar == "\"" {
                keys.append(try parseBasicString())
            } else if scalar == "'" {
                keys.append(try parseLiteralString())
            } else {
                var key = ""
                while let next = peek(), Self.isBareKeyCharacter(next) {
                    key.unicodeScalars.append(next)
                    advance()
                }
                if key.isEmpty { throw TOMLError(line: line, message: "expected a key, found \"\(scalar)\"") }
                keys.append(key)
            }
            skipSpaces()
            if peek() == "." {
                advance()
            } else {
                return keys
            }
        }
    }

    // MARK: Values

    private mutating func parseValue() throws(TOMLError) -> TOMLValue {
        guard let scalar = peek() else { throw TOMLError(line: line, message: "expected a value") }
        switch scalar {
        case "\"":
            if lookingAt("\"\"\"") { return .string(try parseMultilineBasicString()) }
            return .string(try parseBasicString())
        case "'":
            if lookingAt("'''") { return .string(try parseMultilineLiteralString()) }
            return .string(try parseLiteralString())
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        case "t", "f":
            if lookingAt("true") {
                index += 4
                return .boolean(true)
            }
            if lookingAt("false") {
                index += 5
                return .boolean(false)
            }
            throw TOMLError(line: line, message: "expected a value")
        default: return try parseNumberOrDate()
        }
    }

    private mutating func parseArray() throws(TOMLError) -> TOMLValue {
        advance()
        var values: [TOMLValue] = []
        while true {
            skipWhitespaceAndComments(newlines: true)
            if peek() == "]" {
                advance()
                return .array(values)
            }
            values.append(try parseValue())
            skipWhitespaceAndComments(newlines: true)
            if peek() == "," {
                advance()
            } else if peek() == "]" {
                advance()
                return .array(values)
            } else {
                throw TOMLError(line: line, message: "expected , or ] in an array")
            }
        }
    }

    private mutating func parseInlineTable() throws(TOMLError) -> TOMLValue {
        advance()
        var table = TOMLTable()
        skipSpaces()
        if peek() == "}" {
            advance()
            return .table(table)
        }
        while true {
            let keys = try parseKey()
            skipSpaces()
            try expect("=")
            skipSpaces()
            let value = try parseValue()
            var nested = table
            try Self.set(value, at: keys[...], in: &nested, line: line)
            table = nested
            skipSpaces()
            if peek() == "," {
                advance()
            } else if peek() == "}" {
                advance()
                return .table(table)
            } else {
                throw TOMLError(line: line, message: "expected , or } in an inline table")
            }
        }
    }

    private static func set(
        _ value: TOMLValue,
        at keys: ArraySlice<String>,
        in table: inout TOMLTable,
        line: Int
    )
        throws(TOMLError)
    {
        let key = keys.first!
        if keys.count == 1 {
            if table[key] != nil { throw TOMLError(line: line, message: "key \(key) is defined twice") }
            table[key] = value
            return
        }
        var child = table[key]?.table ?? TOMLTable()
        try set(value, at: keys.dropFirst(), in: &child, line: line)
        table[key] = .table(child)
    }

    private mutating func parseNumberOrDate() throws(TOMLError) -> TOMLValue {
        var text = ""
        while let scalar = peek(), !" \t\r\n,]}#".unicodeScalars.contains(scalar) {
            text.unicodeScalars.append(scalar)
            advance()
        }
        // A date-time may have a space between date and time.
        if text.count == 10, text.dropFirst(4).first == "-", peek() == " ",
            let next = peekAt(1), ("0"..."9").contains(next)
        {
            advance()
            while let scalar = peek(), !" \t\r\n,]}#".unicodeScalars.contains(scalar) {
                text.unicodeScalars.append(scalar)
                advance()
            }
        }
        if text.isEmpty { throw TOMLError(line: line, message: "expected a value") }
        let plain = text.replacingOccurrences(of: "_", with: "")
        if plain.hasPrefix("0x"), let value = Int64(plain.dropFirst(2), radix: 16) { return .integer(value) }
        if plain.hasPrefix("0o"), let value = Int64(plain.dropFirst(2), radix: 8) { return .integer(value) }
        if plain.hasPrefix("0b"), let value = Int64(plain.dropFirst(2), radix: 2) { return .integer(value) }
        if let value = Int64(plain) { return .integer(value) }
        switch plain {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if let value = Double(plain), plain.contains(where: { ".eE".contains($0) }) { return .float(value) }
        if text.contains("-") || text.contains(":") { return .datetime(text) }
        throw TOMLError(line: line, message: "cannot read value \(text)")
    }

    // MARK: Strings

    private mutating func parseBasicString() throws(TOMLError) -> String {
        advance()
        var out = ""
        while true {
            guard let scalar = peek() else { throw TOMLError(line: line, message: "unterminated string") }
            advance()
            switch scalar {
            case "\"": return out
            case "\n": throw TOMLError(line: line, message: "newline in a single-line string")
            case "\\": out.unicodeScalars.append(try parseEscape())
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    private mutating func parseMultilineBasicString() throws(TOMLError) -> String {
        index += 3
        if peek() == "\n" {
            advance()
            line += 1
        } else if lookingAt("\r\n") {
            index += 2
            line += 1
        }
        var out = ""
        while true {
            if lookingAt("\"\"\"") {
                index += 3
                // Up to two quotes may directly precede the closing delimiter.
                while peek() == "\"" {
                    out += "\""
                    advance()
                }
                return out
            }
            guard let scalar = peek() else { throw TOMLError(line: line, message: "unterminated string") }
            advance()
            if scalar == "\n" { line += 1 }
            if scalar == "\\" {
                if let next = peek(), next == " " || next == "\t" || next == "\n" || next == "\r" {
                    // A line-ending backslash trims the whitespace that follows.
                    while let ws = peek(), ws == " " || ws == "\t" || ws == "\n" || ws == "\r" {
                        if ws == "\n" { line += 1 }
                        advance()
                    }
                } else {
                    out.unicodeScalars.append(try parseEscape())
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLError) -> String {
        advance()
        var out = ""
        while true {
            guard let scalar = peek() else { throw TOMLError(line: line, message: "unterminated string") }
            advance()
            if scalar == "'" { return out }
            if scalar == "\n" { throw TOMLError(line: line, message: "newline in a single-line string") }
            out.unicodeScalars.append(scalar)
        }
    }

    private mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
        index += 3
        if peek() == "\n" {
            advance()
            line += 1
        }
        var out = ""
        while true {
            if lookingAt("'''") {
                index += 3
                while peek() == "'" {
                    out += "'"
                    advance()
                }
                return out
            }
            guard let scalar = peek() else { throw TOMLError(line: line, message: "unterminated string") }
            advance()
            if scalar == "\n" { line += 1 }
            out.unicodeScalars.append(scalar)
        }
    }

    private mutating func parseEscape() throws(TOMLError) -> Unicode.Scalar {
        guard let scalar = peek() else { throw TOMLError(line: line, message: "unterminated escape") }
        advance()
        switch scalar {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = scalar == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<count {
                guard let digit = peek() else { break }
                hex.unicodeScalars.append(digit)
                advance()
            }
            guard let value = UInt32(hex, radix: 16), let result = Unicode.Scalar(value) else {
                throw TOMLError(line: line, message: "invalid unicode escape \\\(scalar)\(hex)")
            }
            return result
        default: throw TOMLError(line: line, message: "invalid escape \\\(scalar)")
        }
    }

    // MARK: Scanning

    private func peek() -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func peekAt(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() { index += 1 }

    private func lookingAt(_ text: String) -> Bool {
        var offset = 0
        for scalar in text.unicodeScalars {
            guard peekAt(offset) == scalar else { return false }
            offset += 1
        }
        return true
    }

    private mutating func expect(_ scalar: Unicode.Scalar) throws(TOMLError) {
        guard peek() == scalar else {
            let found = peek().map { "\"\($0)\"" } ?? "end of file"
            throw TOMLError(line: line, message: "expected \"\(scalar)\", found \(found)")
        }
        advance()
    }

    private mutating func skipSpaces() {
        while let scalar = peek(), scalar == " " || scalar == "\t" { advance() }
    }

    private mutating func skipWhitespaceAndComments(newlines: Bool) {
        while let scalar = peek() {
            if scalar == " " || scalar == "\t" || scalar == "\r" {
                advance()
            } else if scalar == "\n" && newlines {
                line += 1
                advance()
            } else if scalar == "#" {
                while let next = peek(), next != "\n" { advance() }
            } else {
                return
            }
        }
    }

    private mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        if peek() == "#" {
            while let next = peek(), next != "\n" { advance() }
        }
        if peek() == "\r" { advance() }
        guard let scalar = peek() else { return }
        guard scalar == "\n" else {
            throw TOMLError(line: line, message: "unexpected \"\(scalar)\" after a value; one key per line")
        }
        advance()
        line += 1
    }
}

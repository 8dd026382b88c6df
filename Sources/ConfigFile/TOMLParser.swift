/// The TOML 1.0 reader behind ``TOML/parse(_:)``: one pass over the characters, following the grammar of
/// the specification (toml.io/en/v1.0.0) to the letter; which tables may be defined or extended is
/// ``TOMLDocumentBuilder``'s. Every error names the line and column where the document stops being TOML.
struct TOMLParser {
    let scalars: [Unicode.Scalar]
    var index = 0
    private let document = TOMLDocumentBuilder()

    init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    static func isBareKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        if peek() == "\u{FEFF}" { advance() }
        var current = document.root
        while true {
            skipSpaces()
            guard let scalar = peek() else { break }
            if scalar == "[" {
                current = try parseHeader()
            } else if scalar != "#" && !atNewline() {
                let start = index
                let keys = try parseKey()
                try keyValueSeparator()
                let value = try parseValue()
                try define(at: start) { () throws(TOMLDocumentBuilder.Conflict) in
                    try TOMLDocumentBuilder.assign(value, to: keys, in: current)
                }
            }
            try endOfLine()
        }
        return document.root.value
    }

    // MARK: Structure

    /// `[table]` or `[[array]]`: the table that the key/value lines after it go into.
    private mutating func parseHeader() throws(TOMLError) -> TOMLDocumentBuilder.Table {
        let start = index
        advance()
        let isArray = peek() == "["
        if isArray { advance() }
        let keys = try parseKey()
        try expect("]", "at the end of a table header")
        if isArray { try expect("]", "at the end of an array-of-tables header") }
        return try define(at: start) { () throws(TOMLDocumentBuilder.Conflict) in
            try isArray ? document.appendTable(keys) : document.defineTable(keys)
        }
    }

    /// Runs a definition; a conflict becomes an error at `start`.
    private func define<T>(at start: Int, _ body: () throws(TOMLDocumentBuilder.Conflict) -> T) throws(TOMLError) -> T {
        do {
            return try body()
        } catch {
            throw self.error(error.message, at: start)
        }
    }

    /// A key, dotted or not, with the spaces around it and its dots.
    mutating func parseKey() throws(TOMLError) -> [String] {
        var keys: [String] = []
        while true {
            skipSpaces()
            switch peek() {
            case "\"": keys.append(try parseBasicString())
            case "'": keys.append(try parseLiteralString())
            case let scalar?:
                var key = ""
                while let next = peek(), Self.isBareKeyCharacter(next) {
                    key.unicodeScalars.append(next)
                    advance()
                }
                if key.isEmpty { throw error("expected a key, found \(Self.describe(scalar))") }
                keys.append(key)
            case nil: throw error("expected a key, found the end of the document")
            }
            skipSpaces()
            guard peek() == "." else { return keys }
            advance()
        }
    }

    mutating func keyValueSeparator() throws(TOMLError) {
        skipSpaces()
        try expect("=", "after a key")
        skipSpaces()
    }

    // MARK: Arrays and inline tables

    mutating func parseArray() throws(TOMLError) -> TOMLValue {
        advance()
        var values: [TOMLValue] = []
        while true {
            try skipSpacesCommentsAndNewlines()
            if peek() == "]" {
                advance()
                return .array(values)
            }
            values.append(try parseValue())
            try skipSpacesCommentsAndNewlines()
            switch peek() {
            case ",": advance()
            case "]":
                advance()
                return .array(values)
            default: throw error("expected \",\" or \"]\" in an array, found \(describePeek())")
            }
        }
    }

    /// `{ key = value, … }` on one line, without a trailing comma.
    mutating func parseInlineTable() throws(TOMLError) -> TOMLValue {
        advance()
        let table = TOMLDocumentBuilder.Table(origin: .dotted)
        skipSpaces()
        if peek() == "}" {
            advance()
            return .table(table.value)
        }
        while true {
            skipSpaces()
            let start = index
            let keys = try parseKey()
            try keyValueSeparator()
            let value = try parseValue()
            try define(at: start) { () throws(TOMLDocumentBuilder.Conflict) in
                try TOMLDocumentBuilder.assign(value, to: keys, in: table)
            }
            skipSpaces()
            switch peek() {
            case ",": advance()
            case "}":
                advance()
                return .table(table.value)
            default: throw error("expected \",\" or \"}\" in an inline table (which is written on one line), found \(describePeek())")
            }
        }
    }

    // MARK: Scanning

    func peek() -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    func peek(at offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    mutating func advance(_ count: Int = 1) { index += count }

    func lookingAt(_ text: String) -> Bool {
        text.unicodeScalars.enumerated().allSatisfy { peek(at: $0.offset) == $0.element }
    }

    func atNewline() -> Bool { peek() == "\n" || lookingAt("\r\n") }

    mutating func expect(_ scalar: Unicode.Scalar, _ context: String) throws(TOMLError) {
        guard peek() == scalar else { throw error("expected \"\(scalar)\" \(context), found \(describePeek())") }
        advance()
    }

    mutating func skipSpaces() {
        while peek() == " " || peek() == "\t" { advance() }
    }

    mutating func skipSpacesCommentsAndNewlines() throws(TOMLError) {
        while true {
            skipSpaces()
            if peek() == "#" {
                try skipComment()
            } else if atNewline() {
                advance(peek() == "\r" ? 2 : 1)
            } else {
                return
            }
        }
    }

    /// A comment up to the end of its line; it may hold no control character but tab.
    mutating func skipComment() throws(TOMLError) {
        advance()
        while let scalar = peek(), !atNewline() {
            if Self.isControl(scalar) { throw error("\(Self.describe(scalar)) is not allowed in a comment") }
            advance()
        }
    }

    /// After an expression: spaces, maybe a comment, then a newline or the end.
    mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        if peek() == "#" { try skipComment() }
        guard peek() != nil else { return }
        guard atNewline() else { throw error("expected the end of the line, found \(describePeek()); one key or header per line") }
        advance(peek() == "\r" ? 2 : 1)
    }

    /// A control character TOML allows only where it says so: all below U+0020 but tab, and DEL.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F
    }

    static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar == "\u{FEFF}" { return "a byte order mark (U+FEFF)" }
        if scalar.value < 0x20 || scalar.value == 0x7F {
            return "the control character U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4))"
        }
        return "\"\(scalar)\""
    }

    func describePeek() -> String {
        guard let scalar = peek() else { return "the end of the document" }
        return atNewline() ? "the end of the line" : Self.describe(scalar)
    }

    /// An error at `position` (default: the current one), with its line and column.
    func error(_ message: String, at position: Int? = nil) -> TOMLError {
        let position = min(position ?? index, scalars.count)
        var line = 1
        var lineStart = 0
        for offset in 0..<position where scalars[offset] == "\n" {
            line += 1
            lineStart = offset + 1
        }
        return TOMLError(line: line, column: position - lineStart + 1, message: message)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

extension TOMLParser {
    mutating func parseValue() throws(TOMLError) -> TOMLValue {
        switch peek() {
        case "\"": return .string(lookingAt("\"\"\"") ? try parseMultilineString(quote: "\"") : try parseBasicString())
        case "'": return .string(lookingAt("'''") ? try parseMultilineString(quote: "'") : try parseLiteralString())
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        case "t" where lookingAt("true"):
            advance(4)
            return .boolean(true)
        case "f" where lookingAt("false"):
            advance(5)
            return .boolean(false)
        case nil: throw error("expected a value, found the end of the document")
        default: return try parseNumberOrDate()
        }
    }

    /// `"…"` with escapes, on one line.
    mutating func parseBasicString() throws(TOMLError) -> String {
        advance()
        var out = ""
        while true {
            guard let scalar = peek(), !atNewline() else { throw error("the string is not closed on its line") }
            switch scalar {
            case "\"":
                advance()
                return out
            case "\\": out.unicodeScalars.append(try parseEscape())
            case _ where Self.isControl(scalar): throw error("\(Self.describe(scalar)) must be escaped in a string")
            default:
                out.unicodeScalars.append(scalar)
                advance()
            }
        }
    }

    /// `'…'` as written, on one line.
    mutating func parseLiteralString() throws(TOMLError) -> String {
        advance()
        var out = ""
        while true {
            guard let scalar = peek(), !atNewline() else { throw error("the string is not closed on its line") }
            advance()
            if scalar == "'" { return out }
            if Self.isControl(scalar) { throw error("\(Self.describe(scalar)) is not allowed in a literal string", at: index - 1) }
            out.unicodeScalars.append(scalar)
        }
    }

    /// `"""…"""` (with escapes) or `'''…'''` (as written): a newline right after the opening is dropped, and
    /// one or two quotes may stand right before the closing ones.
    mutating func parseMultilineString(quote: Unicode.Scalar) throws(TOMLError) -> String {
        let start = index
        advance(3)
        if atNewline() { advance(peek() == "\r" ? 2 : 1) }
        var out = ""
        while true {
            guard let scalar = peek() else { throw error("the multi-line string is not closed", at: start) }
            if scalar == quote {
                var run = 0
                while peek(at: run) == quote { run += 1 }
                advance(run)
                guard run >= 3 else {
                    out += String(repeating: String(quote), count: run)
                    continue
                }
                guard run <= 5 else { throw error("too many quotes at the end of a multi-line string", at: index - run) }
                return out + String(repeating: String(quote), count: run - 3)
            }
            if atNewline() {
                if scalar == "\r" { out.unicodeScalars.append("\r") }
                out.unicodeScalars.append("\n")
                advance(scalar == "\r" ? 2 : 1)
            } else if scalar == "\\" && quote == "\"" {
                if try skipLineEndingBackslash() { continue }
                out.unicodeScalars.append(try parseEscape())
            } else if Self.isControl(scalar) {
                throw error("\(Self.describe(scalar)) is not allowed in a string")
            } else {
                out.unicodeScalars.append(scalar)
                advance()
            }
        }
    }

    /// A backslash that ends a line (spaces may follow it) drops the newline and the whitespace after it;
    /// false when this backslash starts an escape instead.
    private mutating func skipLineEndingBackslash() throws(TOMLError) -> Bool {
        var offset = 1
        while peek(at: offset) == " " || peek(at: offset) == "\t" { offset += 1 }
        let newline = peek(at: offset) == "\n" || (peek(at: offset) == "\r" && peek(at: offset + 1) == "\n")
        guard newline else {
            if offset > 1 { throw error("a backslash followed by spaces must end the line") }
            return false
        }
        advance(offset)
        while let next = peek(), next == " " || next == "\t" || atNewline() { advance(next == "\r" ? 2 : 1) }
        return true
    }

    /// The character an escape stands for: `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`.
    private mutating func parseEscape() throws(TOMLError) -> Unicode.Scalar {
        let start = index
        advance()
        guard let scalar = peek() else { throw error("the string is not closed") }
        advance()
        switch scalar {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = scalar == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<count {
                guard let digit = peek(), digit.properties.isASCIIHexDigit else {
                    throw error("\\\(scalar) needs \(count) hexadecimal digits", at: start)
                }
                hex.unicodeScalars.append(digit)
                advance()
            }
            guard let value = UInt32(hex, radix: 16), let result = Unicode.Scalar(value) else {
                throw error("\\\(scalar)\(hex) is not a Unicode scalar value", at: start)
            }
            return result
        default: throw error("invalid escape \\\(Self.describe(scalar).trimmingQuotes)", at: start)
        }
    }
}

extension String {
    /// Without the quotes ``TOMLParser/describe(_:)`` puts around a character.
    var trimmingQuotes: String { hasPrefix("\"") && hasSuffix("\"") && count >= 2 ? String(dropFirst().dropLast()) : self }
}

extension TOMLParser {
    /// An integer, a float or a date/time: the characters up to the next delimiter, read strictly.
    mutating func parseNumberOrDate() throws(TOMLError) -> TOMLValue {
        let start = index
        var token = scanToken()
        // A date and a time may be separated by a space.
        if TOMLScalarSyntax.isDate(token[...]), peek() == " ", peek(at: 3) == ":",
            [peek(at: 1), peek(at: 2)].allSatisfy({ $0.map { ("0"..."9").contains($0) } == true })
        {
            advance()
            token.append(" ")
            token += scanToken()
        }
        guard !token.isEmpty else { throw error("expected a value, found \(describePeek())") }
        do {
            return try TOMLScalarSyntax.value(token)
        } catch {
            throw self.error(error.message, at: start)
        }
    }

    private mutating func scanToken() -> [Unicode.Scalar] {
        var token: [Unicode.Scalar] = []
        while let scalar = peek(), Self.isBareKeyCharacter(scalar) || scalar == "+" || scalar == "." || scalar == ":" {
            token.append(scalar)
            advance()
        }
        return token
    }
}

/// The grammar of TOML's numbers and dates, as pure functions over one token.
enum TOMLScalarSyntax {
    struct Invalid: Error {
        var message: String
    }

    static func value(_ token: [Unicode.Scalar]) throws(Invalid) -> TOMLValue {
        let text = String(String.UnicodeScalarView(token))
        if isDate(token.prefix(10)) || (token.count > 2 && token[2] == ":") {
            guard let normalized = dateTime(token) else { throw Invalid(message: "\(text) is not a valid date or time") }
            return .datetime(normalized)
        }
        switch text {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            guard let digits = digits(text.dropFirst(2), radix: radix), let value = UInt64(digits, radix: radix) else {
                throw Invalid(message: "\(text) is not a valid base-\(radix) integer")
            }
            guard value <= UInt64(Int64.max) else { throw Invalid(message: "\(text) is out of the range of a 64-bit integer") }
            return .integer(Int64(value))
        }
        return try decimal(text)
    }

    /// `[+-]` integer part, then an optional fraction and exponent; a leading zero only alone.
    private static func decimal(_ text: String) throws(Invalid) -> TOMLValue {
        let invalid = Invalid(message: "\(text) is not a valid number")
        var rest = Substring(text)
        var sign = ""
        if let first = rest.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            rest = rest.dropFirst()
        }
        let integerEnd = rest.firstIndex { $0 == "." || $0 == "e" || $0 == "E" } ?? rest.endIndex
        guard let integer = digits(rest[..<integerEnd], radix: 10) else { throw invalid }
        guard integer == "0" || !integer.hasPrefix("0") else {
            throw Invalid(message: "\(text) has a leading zero (only 0x, 0o and 0b integers may start with 0)")
        }
        rest = rest[integerEnd...]
        guard !rest.isEmpty else {
            guard let value = Int64(sign + integer) else { throw Invalid(message: "\(text) is out of the range of a 64-bit integer") }
            return .integer(value)
        }
        var number = sign + integer
        if rest.first == "." {
            let fractionEnd = rest.firstIndex { $0 == "e" || $0 == "E" } ?? rest.endIndex
            guard let fraction = digits(rest[rest.index(after: rest.startIndex)..<fractionEnd], radix: 10) else { throw invalid }
            number += "." + fraction
            rest = rest[fractionEnd...]
        }
        if let marker = rest.first {
            guard marker == "e" || marker == "E" else { throw invalid }
            var exponent = rest.dropFirst()
            var exponentSign = ""
            if let first = exponent.first, first == "+" || first == "-" {
                exponentSign = String(first)
                exponent = exponent.dropFirst()
            }
            guard let power = digits(exponent, radix: 10) else { throw invalid }
            number += "e" + exponentSign + power
        }
        guard let value = Double(number) else { throw invalid }
        return .float(value)
    }

    /// Digits of `radix` with single underscores between them, without the underscores; `nil` otherwise.
    static func digits(_ text: Substring, radix: Int) -> String? {
        var out = ""
        var previousWasDigit = false
        for character in text {
            if character == "_" {
                guard previousWasDigit else { return nil }
                previousWasDigit = false
            } else {
                guard let value = character.hexDigitValue, value < radix, character.isASCII else { return nil }
                out.append(character)
                previousWasDigit = true
            }
        }
        return previousWasDigit ? out : nil
    }

    /// `YYYY-MM-DD` exactly.
    static func isDate(_ token: ArraySlice<Unicode.Scalar>) -> Bool {
        token.count == 10
            && token.enumerated().allSatisfy { offset, scalar in
                offset == 4 || offset == 7 ? scalar == "-" : ("0"..."9").contains(scalar)
            }
    }

    /// The date/time normalized (`T`, `Z`), or `nil` when the token is none of TOML's four kinds or names a
    /// day or time that does not exist.
    static func dateTime(_ token: [Unicode.Scalar]) -> String? {
        var rest = token[...]
        var out = ""
        func number(_ count: Int, _ range: ClosedRange<Int>) -> Int? {
            guard rest.count >= count, rest.prefix(count).allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
            let value = Int(String(String.UnicodeScalarView(rest.prefix(count))))!
            guard range.contains(value) else { return nil }
            out += String(String.UnicodeScalarView(rest.prefix(count)))
            rest = rest.dropFirst(count)
            return value
        }
        func literal(_ allowed: Set<Unicode.Scalar>, as written: String) -> Bool {
            guard let first = rest.first, allowed.contains(first) else { return false }
            out += written
            rest = rest.dropFirst()
            return true
        }
        func time() -> Bool {
            guard number(2, 0...23) != nil, literal([":"], as: ":"), number(2, 0...59) != nil, literal([":"], as: ":"),
                number(2, 0...60) != nil
            else { return false }
            if literal(["."], as: ".") {
                let fraction = rest.prefix { ("0"..."9").contains($0) }
                guard !fraction.isEmpty else { return false }
                out += String(String.UnicodeScalarView(fraction))
                rest = rest.dropFirst(fraction.count)
            }
            return true
        }
        if isDate(token.prefix(10)) {
            guard let year = number(4, 0...9999), literal(["-"], as: "-"), let month = number(2, 1...12), literal(["-"], as: "-"),
                number(2, 1...daysIn(month: month, year: year)) != nil
            else { return nil }
            if rest.isEmpty { return out }
            guard literal(["T", "t", " "], as: "T"), time() else { return nil }
            if rest.isEmpty { return out }
            if literal(["Z", "z"], as: "Z") { return rest.isEmpty ? out : nil }
            guard let sign = rest.first, literal(["+", "-"], as: String(sign)), number(2, 0...23) != nil, literal([":"], as: ":"),
                number(2, 0...59) != nil, rest.isEmpty
            else { return nil }
            return out
        }
        return time() && rest.isEmpty ? out : nil
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

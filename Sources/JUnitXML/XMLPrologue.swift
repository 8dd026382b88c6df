/// What the start of a file says it is, read before any XML parser sees it: a document type declaration (and with
/// it every entity declaration) can only stand in the prologue, so a file whose prologue has none reaches the
/// parser with nothing to expand or fetch.
///
/// The prologue is the byte order mark, the XML declaration, comments, processing instructions and white space
/// before the root element. Only ASCII-compatible encodings are let through, so that these bytes mean to the
/// parser what they mean here.
public enum XMLPrologue: Equatable, Sendable {
    /// The root element's name.
    case root(String)
    /// `<!DOCTYPE …>` or another `<!` declaration before the root.
    case declaration
    /// The file says it is in an encoding other than UTF-8, ASCII or Latin-1.
    case encoding(String)
    /// The root element does not start within the bytes given.
    case incomplete
    /// Not the start of an XML document.
    case notXML

    /// Encodings whose first 128 code points are ASCII, as the parser reads them.
    static let encodings: Set<String> = ["utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1"]

    /// Scans `bytes`, the start of a file.
    public static func scan(_ bytes: some Collection<UInt8>) -> XMLPrologue {
        let bytes = Array(bytes)
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) { return .encoding("UTF-16") }
        if bytes.starts(with: [0x00, 0x00]) { return .encoding("UTF-32") }
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while true {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { return .incomplete }
            guard bytes[index] == UInt8(ascii: "<") else { return .notXML }
            let rest = bytes[index...]
            if rest.starts(with: Array("<!--".utf8)) {
                guard let end = find(Array("-->".utf8), in: bytes, from: index + 4) else { return .incomplete }
                index = end + 3
            } else if rest.starts(with: Array("<?".utf8)) {
                guard let end = find(Array("?>".utf8), in: bytes, from: index + 2) else { return .incomplete }
                if rest.starts(with: Array("<?xml".utf8)), index + 5 < bytes.count, isSpace(bytes[index + 5]),
                    let encoding = declaredEncoding(bytes[(index + 5)..<end]),
                    !encodings.contains(encoding.lowercased())
                {
                    return .encoding(encoding)
                }
                index = end + 2
            } else if rest.starts(with: Array("<!".utf8)) {
                return .declaration
            } else {
                let name = rest.dropFirst().prefix { !isSpace($0) && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "/") }
                guard let first = name.first, isNameStart(first) else { return .notXML }
                guard name.endIndex < bytes.count else { return .incomplete }
                return .root(String(decoding: name, as: UTF8.self))
            }
        }
    }

    /// The value of `encoding="…"` in an XML declaration's pseudo-attributes.
    static func declaredEncoding(_ declaration: ArraySlice<UInt8>) -> String? {
        guard let key = find(Array("encoding".utf8), in: Array(declaration), from: 0) else { return nil }
        var rest = declaration.dropFirst(key + 8).drop(while: isSpace)
        guard rest.first == UInt8(ascii: "=") else { return nil }
        rest = rest.dropFirst().drop(while: isSpace)
        guard let quote = rest.first, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
        return String(decoding: rest.dropFirst().prefix { $0 != quote }, as: UTF8.self)
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard start <= bytes.count - needle.count else { return nil }
        return (start...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte >= 0x80
    }
}

/// Reads TOML documents (v1.0: tables, arrays of tables, dotted keys, inline tables, all string forms,
/// numbers, booleans; dates are kept as text) and quotes values for writing them.
public enum TOML {
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(text: text)
        return try parser.parseDocument()
    }

    /// A string as a TOML basic string, escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A key, bare when it can be.
    public static func key(_ key: String) -> String {
        let bare = !key.isEmpty && key.unicodeScalars.allSatisfy { TOMLParser.isBareKeyCharacter($0) }
        return bare ? key : quote(key)
    }
}

/// Reads TOML 1.0 documents (tables, arrays of tables, dotted keys, inline tables, every string form,
/// integers, floats, booleans; dates and times are kept as text), and quotes values and writes tables for writing them.
public enum TOML {
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(scalars: Array(text.unicodeScalars))
        return try parser.parseDocument()
    }

    /// Reads a document from its bytes, which must be UTF-8: a file read as bytes gets an error with the
    /// line and column of a bad byte, where decoding it first would only say that it is not UTF-8.
    public static func parse(bytes: some Sequence<UInt8>) throws(TOMLError) -> TOMLTable {
        var scalars: [Unicode.Scalar] = []
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var line = 1
        var column = 1
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput: break decoding
            case .error: throw TOMLError(line: line, column: column, message: "the document is not valid UTF-8")
            }
        }
        var parser = TOMLParser(scalars: scalars)
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
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
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

    /// One table of an array of tables (`[[product]]`, `[[product.tool]]`) with string values, after a blank
    /// line: how the agent's configuration lists what is installed, whoever writes it (the agent when it
    /// enrolls, the demo and the benchmarks for the agents they start). `path` is a dotted key path, written as
    /// it is.
    public static func arrayTable(_ path: String, _ values: KeyValuePairs<String, String>) -> String {
        "\n[[\(path)]]\n" + values.map { "\(key($0.key)) = \(quote($0.value))\n" }.joined()
    }
}

/// A value read from a TOML document.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// Dates and times as written, with `T` between date and time and an upper-case `Z`: an offset
    /// date-time (`1979-05-27T07:32:00Z`, `…-07:00`), a local date-time, a local date or a local time.
    case datetime(String)
    case array([TOMLValue])
    case table(TOMLTable)

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var double: Double? {
        switch self {
        case .float(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    public var boolean: Bool? {
        if case .boolean(let value) = self { return value }
        return nil
    }

    public var array: [TOMLValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var table: TOMLTable? {
        if case .table(let value) = self { return value }
        return nil
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .datetime: "date-time"
        case .array: "array"
        case .table: "table"
        }
    }
}

extension TOMLValue {
    /// The value written as TOML.
    public var tomlText: String {
        switch self {
        case .string(let value): TOML.quote(value)
        case .integer(let value): String(value)
        case .float(let value): String(value)
        case .boolean(let value): value ? "true" : "false"
        case .datetime(let value): value
        case .array(let values): "[" + values.map(\.tomlText).joined(separator: ", ") + "]"
        case .table(let table):
            "{ " + table.keys.map { "\(TOML.key($0)) = \(table[$0]!.tomlText)" }.joined(separator: ", ") + " }"
        }
    }
}

/// A TOML table: keys in the order they were written.
public struct TOMLTable: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]

    public init() {}

    public subscript(key: String) -> TOMLValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }

    /// The array of tables under `key` (`[[key]]`); empty when absent.
    public func tables(_ key: String) -> [TOMLTable] {
        values[key]?.array?.compactMap(\.table) ?? []
    }
}

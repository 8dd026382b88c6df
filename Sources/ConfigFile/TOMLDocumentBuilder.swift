/// The tables of a TOML document while it is read, with how each came to be, which decides what may still
/// be added to it (TOML 1.0):
/// - a `[header]` defines a table once; the tables above it are only implied and may be defined later;
/// - dotted keys (`a.b = 1`) define tables too, which no header may define again, and dotted keys may not
///   add to a table that a header defined;
/// - inline tables and arrays written as values are complete: nothing may be added to them;
/// - `[[header]]` appends to an array of tables, never to an array written as a value.
struct TOMLDocumentBuilder {
    /// How a table came to be.
    enum Origin {
        case implied, header, dotted
    }

    /// A table being filled, its keys in the order they were written.
    final class Table {
        var origin: Origin
        var keys: [String] = []
        var items: [String: Item] = [:]

        init(origin: Origin) { self.origin = origin }

        subscript(key: String) -> Item? {
            get { items[key] }
            set {
                if items[key] == nil { keys.append(key) }
                items[key] = newValue
            }
        }

        /// The finished table.
        var value: TOMLTable {
            var table = TOMLTable()
            for key in keys {
                switch items[key]! {
                case .value(let value): table[key] = value
                case .table(let child): table[key] = .table(child.value)
                case .array(let array): table[key] = .array(array.tables.map { .table($0.value) })
                }
            }
            return table
        }
    }

    /// An array of tables (`[[name]]`), appended to by each header.
    final class TableArray {
        var tables: [Table] = []
    }

    enum Item {
        /// A scalar, an array or an inline table: complete as written.
        case value(TOMLValue)
        case table(Table)
        case array(TableArray)
    }

    /// Why a definition is refused.
    struct Conflict: Error {
        var message: String
    }

    let root = Table(origin: .header)

    /// Defines `[keys]` and returns the table that key/value lines go into.
    func defineTable(_ keys: [String]) throws(Conflict) -> Table {
        let parent = try walk(keys.dropLast(), header: keys)
        let last = keys.last!
        let name = "[\(Self.dotted(keys))]"
        switch parent[last] {
        case nil:
            let table = Table(origin: .header)
            parent[last] = .table(table)
            return table
        case .table(let table) where table.origin == .implied:
            table.origin = .header
            return table
        case .table(let table) where table.origin == .dotted:
            throw Conflict(message: "table \(name) is already defined by dotted keys")
        case .table:
            throw Conflict(message: "table \(name) is defined twice")
        case .array:
            throw Conflict(message: "\(name) is already an array of tables")
        case .value:
            throw Conflict(message: "\(Self.dotted(keys)) is already defined as a value; \(name) cannot redefine it")
        }
    }

    /// Appends a table to `[[keys]]` and returns it.
    func appendTable(_ keys: [String]) throws(Conflict) -> Table {
        let parent = try walk(keys.dropLast(), header: keys)
        let last = keys.last!
        let table = Table(origin: .header)
        switch parent[last] {
        case nil:
            let array = TableArray()
            array.tables.append(table)
            parent[last] = .array(array)
        case .array(let array):
            array.tables.append(table)
        case .value(.array):
            throw Conflict(message: "\(Self.dotted(keys)) is an array written as a value; [[\(Self.dotted(keys))]] cannot add to it")
        default:
            throw Conflict(message: "\(Self.dotted(keys)) is already defined and is not an array of tables")
        }
        return table
    }

    /// Sets `keys = value` in `table`, creating the tables dotted keys name.
    static func assign(_ value: TOMLValue, to keys: [String], in table: Table) throws(Conflict) {
        var current = table
        for (index, key) in keys.dropLast().enumerated() {
            switch current[key] {
            case nil:
                let child = Table(origin: .dotted)
                current[key] = .table(child)
                current = child
            case .table(let child) where child.origin != .header:
                current = child
            case .table:
                throw Conflict(message: "table \(dotted(keys[...index])) is defined by a header; dotted keys cannot add to it")
            case .array, .value:
                throw Conflict(message: "\(dotted(keys[...index])) is already defined and is not a table")
            }
        }
        let last = keys.last!
        guard current[last] == nil else { throw Conflict(message: "key \(dotted(keys)) is defined twice") }
        current[last] = .value(value)
    }

    /// Follows the tables above a header, implying those not yet defined.
    private func walk(_ keys: ArraySlice<String>, header: [String]) throws(Conflict) -> Table {
        var current = root
        for (index, key) in keys.enumerated() {
            switch current[key] {
            case nil:
                let child = Table(origin: .implied)
                current[key] = .table(child)
                current = child
            case .table(let child):
                current = child
            case .array(let array):
                current = array.tables.last!
            case .value(let value):
                let what = value.table != nil ? "an inline table, complete as written" : "a \(value.typeName)"
                throw Conflict(message: "[\(Self.dotted(header))]: \(Self.dotted(header[...index])) is \(what)")
            }
        }
        return current
    }

    static func dotted(_ keys: some Collection<String>) -> String { keys.map(TOML.key).joined(separator: ".") }
}

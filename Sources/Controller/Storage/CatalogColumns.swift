import PostgresNIO

/// The columns a statement writes into a catalog table, each with its value bound in order: what creating and
/// editing a product or tool share, whatever columns its kind adds.
struct CatalogColumns {
    private(set) var names: [String] = []
    private var binds = PostgresBindings()

    mutating func set(_ name: String, _ value: some PostgresDynamicTypeEncodable) {
        names.append(name)
        binds.append(value)
    }

    mutating func set(_ name: String, _ value: (some PostgresDynamicTypeEncodable)?) {
        names.append(name)
        binds.append(value)
    }

    /// `INSERT INTO table (…) VALUES (…) RETURNING …`; a column left out takes its default.
    func insert(into table: String, returning: String) -> PostgresQuery {
        let placeholders = names.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(placeholders)) RETURNING \(returning)
                """,
            binds: binds
        )
    }

    /// `UPDATE table SET …, updated_at = now() WHERE id = … RETURNING …`; a column left out keeps its value.
    func update(_ table: String, id: Int64, returning: String) -> PostgresQuery {
        let assignments = names.enumerated().map { "\($1) = $\($0 + 1)" } + ["updated_at = now()"]
        var binds = binds
        binds.append(id)
        return PostgresQuery(
            unsafeSQL: """
                UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE id = $\(names.count + 1) RETURNING \(returning)
                """,
            binds: binds
        )
    }
}

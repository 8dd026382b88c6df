import Logging
import PostgresNIO

/// Applies pending migrations in one transaction under an advisory lock, so controllers starting together
/// take turns and the schema moves only forward.
struct Migrator: Sendable {
    /// The advisory lock key for migrations ("tfmigrat" in ASCII).
    static let lockKey: Int64 = 0x7466_6d69_6772_6174

    var migrations: [Migration] = Migration.all

    /// Applies what is missing and returns the versions it applied.
    @discardableResult
    func migrate(_ database: Database, logger: Logger) async throws -> [Int] {
        try await database.transaction { transaction in
            try await transaction.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            try await transaction.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            var applied: Set<Int> = []
            for try await version in try await transaction.query(
                "SELECT version FROM schema_migrations"
            ).decode(Int.self) {
                applied.insert(version)
            }
            var done: [Int] = []
            for migration in migrations.sorted(by: { $0.version < $1.version })
            where !applied.contains(migration.version) {
                logger.info(
                    "applying migration",
                    metadata: ["testfleet.migration": "\(migration.version) \(migration.name)"]
                )
                for statement in migration.statements {
                    try await transaction.query(PostgresQuery(unsafeSQL: statement))
                }
                try await transaction.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))"
                )
                done.append(migration.version)
            }
            return done
        }
    }

    /// The versions still to apply, or `nil` when the schema table does not exist yet.
    func pending(_ database: Database) async throws -> [Int] {
        let rows = try await database.query(
            "SELECT to_regclass('schema_migrations') IS NOT NULL"
        )
        var exists = false
        for try await value in rows.decode(Bool.self) { exists = value }
        guard exists else { return migrations.map(\.version) }
        var applied: Set<Int> = []
        for try await version in try await database.query("SELECT version FROM schema_migrations").decode(Int.self) {
            applied.insert(version)
        }
        return migrations.map(\.version).filter { !applied.contains($0) }
    }
}

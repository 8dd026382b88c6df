import Foundation
import Logging
import PostgresNIO

/// The controller's handle on PostgreSQL: the pool, a logger, and helpers that turn database errors into
/// answers and time every statement.
struct Database: Sendable {
    let client: PostgresClient
    let logger: Logger
    let metrics: ControllerMetrics
    /// Statements fail at once while it says the database is out of reach.
    let reachability: DatabaseReachability

    init(client: PostgresClient, logger: Logger, metrics: ControllerMetrics, reachability: DatabaseReachability = .init()) {
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.reachability = reachability
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try await measured { try await client.query(query, logger: logger, file: file, line: line) }
    }

    /// Runs a prepared statement on a pooled connection (prepared once per connection).
    func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement
    ) async throws
        -> AsyncThrowingMapSequence<PostgresRowSequence, Statement.Row>
    {
        try await measured { try await client.execute(statement, logger: logger) }
    }

    /// Runs `body` in a transaction; an error thrown inside rolls it back and comes out as itself.
    func transaction<Result: Sendable>(
        file: String = #file,
        line: Int = #line,
        _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        try await measured(statements: 2) {
            try await client.withTransaction(logger: logger, file: file, line: line) { connection in
                try await body(Transaction(connection: connection, database: self))
            }
        }
    }

    /// Runs `body`, which sends `statements` statements (a transaction's BEGIN and COMMIT count), counted and
    /// timed for the metrics, its errors translated.
    private func measured<Result>(statements: Int64 = 1, _ body: () async throws -> Result) async throws -> Result {
        try reachability.check()
        let start = ContinuousClock.now
        metrics.dbStatements.increment(by: statements)
        metrics.dbInFlight.increment()
        defer {
            metrics.dbInFlight.decrement()
            metrics.dbQueryDuration.record(ContinuousClock.now - start)
        }
        do {
            return try await body()
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs `body` in a transaction that also tells every controller `message` (delivered when it commits): for
    /// changes to what controllers cache.
    func transaction<Result: Sendable>(
        notifying message: String,
        _ body: (Transaction) async throws -> Result
    ) async throws -> Result {
        try await transaction { transaction in
            let result = try await body(transaction)
            try await transaction.query("SELECT pg_notify(\(Notifications.channel), \(message))")
            return result
        }
    }

    /// Runs `body` with one connection for its length: for session-level work such as advisory locks.
    func withConnection<Result: Sendable>(_ body: (Session) async throws -> Result) async throws -> Result {
        try reachability.check()
        do {
            return try await client.withConnection { connection in
                try await body(Session(connection: connection, database: self))
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Maps constraint violations to refusals; everything else passes through. A failed transaction is
    /// what failed in it: its body, else its COMMIT, else its BEGIN.
    static func translate(_ error: any Error) -> any Error {
        if let failed = error as? PostgresTransactionError, let cause = failed.closureError ?? failed.commitError ?? failed.beginError {
            return translate(cause)
        }
        guard let psql = error as? PSQLError, let code = psql.serverInfo?[.sqlState] else { return error }
        let detail = psql.serverInfo?[.detail] ?? psql.serverInfo?[.message] ?? "constraint violated"
        switch code {
        case "23505": return StoreError.conflict("already exists: \(detail)")
        case "23503": return StoreError.conflict("still referenced: \(detail)")
        case "23514", "22001", "22003", "22P02", "23502":
            return StoreError.invalid("invalid value: \(psql.serverInfo?[.message] ?? detail)")
        case "22021", "22P05":
            // Text the database cannot hold that got past the checks at decoding.
            return StoreError.invalid("a text field holds a character the database cannot store")
        default: return error
        }
    }
}

extension PostgresRowSequence {
    /// All rows decoded as `T`. Errors that arrive with the rows are translated like those of the query.
    func collect<T: PostgresDecodable & Sendable>(_ type: T.Type) async throws -> [T] {
        do {
            var out: [T] = []
            for try await value in self.decode(T.self) { out.append(value) }
            return out
        } catch {
            throw Database.translate(error)
        }
    }

    /// The first row, or `nil`.
    func first() async throws -> PostgresRow? {
        do {
            for try await row in self { return row }
            return nil
        } catch {
            throw Database.translate(error)
        }
    }

    /// Every row.
    func all() async throws -> [PostgresRow] {
        do {
            var rows: [PostgresRow] = []
            for try await row in self { rows.append(row) }
            return rows
        } catch {
            throw Database.translate(error)
        }
    }
}

import Foundation
import Logging
import PostgresNIO

/// One connection held for a while (advisory locks are per connection), with transactions on it.
struct Session: HeldConnection {
    let connection: PostgresConnection
    let database: Database

    func transaction<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        database.metrics.dbStatements.increment(by: Int64(2))
        do {
            return try await connection.withTransaction(logger: database.logger) { connection in
                try await body(Transaction(connection: connection, database: database))
            }
        } catch let error as PostgresTransactionError {
            throw Database.translate(error)
        }
    }
}

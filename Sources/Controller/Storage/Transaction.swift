import Foundation
import Logging
import PostgresNIO

/// Statements inside one transaction.
struct Transaction: HeldConnection {
    let connection: PostgresConnection
    let database: Database
}

extension Transaction {
    /// Runs a prepared statement inside the transaction.
    func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement
    ) async throws
        -> AsyncThrowingMapSequence<PostgresRowSequence, Statement.Row>
    {
        database.metrics.dbStatements.increment()
        return try await connection.execute(statement, logger: database.logger)
    }
}

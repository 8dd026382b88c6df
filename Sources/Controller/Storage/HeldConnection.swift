import Foundation
import Logging
import PostgresNIO

/// A connection held for a while (by a transaction or a session), its statements counted like every other.
protocol HeldConnection {
    var connection: PostgresConnection { get }
    var database: Database { get }
}

extension HeldConnection {
    @discardableResult
    func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        database.metrics.dbStatements.increment()
        return try await connection.query(query, logger: database.logger, file: file, line: line)
    }
}

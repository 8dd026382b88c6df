import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// Runs `body` with a migrated database from the configuration (embedded or not), outside the server.
func withDatabase(
    config: ControllerConfiguration,
    logger: Logger,
    _ body: @Sendable (Database) async throws -> Void
) async throws {
    var adjusted = logger
    adjusted.logLevel = max(logger.logLevel, .warning)
    let quiet = adjusted
    var embedded: EmbeddedPostgres?
    let url: String
    if let databaseURL = config.databaseURL {
        url = databaseURL
    } else {
        let cluster = try EmbeddedPostgres(dataDirectory: config.dataDirectory, logger: quiet)
        let wasRunning = cluster.runningPort() != nil
        url = try await Blocking.run { try cluster.start().url }
        if !wasRunning { embedded = cluster }
    }
    defer { embedded?.stop() }
    let client = PostgresClientRunner(configuration: try DatabaseURL.parse(url), logger: quiet)
    try await client.run { client in
        let database = Database(client: client, logger: quiet, metrics: ControllerMetrics())
        try await Migrator().migrate(database, logger: quiet)
        try await body(database)
    }
}

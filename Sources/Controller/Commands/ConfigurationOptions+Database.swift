import Logging

extension ConfigurationOptions {
    /// Loads the configuration and runs `body` with its database, outside the server. The database is migrated
    /// first; `body` gets the versions of the migrations that applied. An embedded cluster this started is stopped
    /// after; one already running (a serving controller's) is left as it was.
    func withDatabase(_ body: @Sendable (_ database: Database, _ applied: [Int]) async throws -> Void) async throws {
        let config = try load()
        var logger = ControllerLogging.logger(config)
        logger.logLevel = max(logger.logLevel, .warning)
        let location = try await DatabaseLocation.resolve(config, logger: logger)
        defer { if location.startedHere { location.embedded?.stop() } }
        let client = PostgresClientRunner(configuration: try DatabaseURL.parse(location.url), logger: logger)
        try await client.run { [logger] client in
            let database = Database(client: client, logger: logger, metrics: ControllerMetrics())
            let applied = try await Migrator().migrate(database, logger: logger)
            try await body(database, applied)
        }
    }
}

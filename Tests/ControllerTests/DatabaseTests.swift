import Foundation
import Logging
import PostgresNIO
import Testing

@testable import testfleet_controller

@Suite("Migrations and the embedded PostgreSQL")
struct DatabaseTests {
    static let logger: Logger = {
        var logger = Logger(label: "tests")
        logger.logLevel = .critical
        return logger
    }()

    @Test("migrations apply once; applying again changes nothing")
    func idempotent() async throws {
        let url = try await TestDatabase.empty()
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(url), logger: Self.logger).run { client in
            let database = Database(client: client, logger: Self.logger, metrics: ControllerMetrics())
            #expect(try await Migrator().pending(database) == Migration.all.map(\.version))
            #expect(try await Migrator().migrate(database, logger: Self.logger) == Migration.all.map(\.version))
            #expect(try await Migrator().migrate(database, logger: Self.logger) == [])
            #expect(try await Migrator().pending(database) == [])
            let tables = try await database.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).collect(String.self)
            for table in [
                "users", "api_tokens", "sessions", "products", "tools", "product_tools", "product_test_results", "nodes",
                "enrollment_tokens", "node_products", "node_tools", "tasks", "cases", "case_runs", "case_logs", "reports",
                "install_jobs", "case_durations",
            ] {
                #expect(tables.contains(table), "missing table \(table)")
            }
        }
    }

    @Test("two controllers migrating at once take turns")
    func concurrent() async throws {
        let url = try await TestDatabase.empty()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    let box = OneShotValue<[Int]>()
                    try await PostgresClientRunner(configuration: try DatabaseURL.parse(url), logger: Self.logger).run { client in
                        let database = Database(client: client, logger: Self.logger, metrics: ControllerMetrics())
                        box.set(try await Migrator().migrate(database, logger: Self.logger))
                    }
                    return box.get() ?? []
                }
            }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(applied.sorted { $0.count < $1.count } == [[], Migration.all.map(\.version)])
    }

    @Test("the embedded cluster starts from nothing, keeps data across restarts, and the controller runs on it")
    func embedded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-embedded-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cluster = try EmbeddedPostgres(dataDirectory: directory, logger: Self.logger)
        let first = try cluster.start()
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(first.url), logger: Self.logger).run { client in
            try await client.query("CREATE TABLE kept (value text)")
            try await client.query("INSERT INTO kept VALUES ('survives')")
        }
        cluster.stop()
        #expect(cluster.runningPort() == nil)
        let second = try EmbeddedPostgres(dataDirectory: directory, logger: Self.logger).start()
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(second.url), logger: Self.logger).run { client in
            let values = try await client.query("SELECT value FROM kept").collect(String.self)
            #expect(values == ["survives"])
        }
        // A second start while it runs reuses the running server.
        let third = try EmbeddedPostgres(dataDirectory: directory, logger: Self.logger).start()
        #expect(third.port == second.port)
        cluster.stop()
        let password = try String(contentsOf: directory.appendingPathComponent("postgres-password"), encoding: .utf8)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("postgres-password").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!password.isEmpty)
    }

    @Test("a controller on its embedded default comes up on an empty data directory and again on the same one")
    func controllerOnEmbedded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-embedded-ctl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for round in 0..<2 {
            var config = ControllerConfiguration()
            config.dataDirectory = directory
            config.host = "127.0.0.1"
            config.port = 0
            if round == 1 { config.adminPassword = nil }
            let built = try await ControllerApplication.build(config: config, logger: Self.logger)
            try await PostgresClientRunner(
                configuration: try DatabaseURL.parse(
                    try EmbeddedPostgres(dataDirectory: directory, logger: Self.logger).start().url
                ),
                logger: Self.logger
            ).run { client in
                let database = Database(client: client, logger: Self.logger, metrics: ControllerMetrics())
                try await Migrator().migrate(database, logger: Self.logger)
                if round == 0 {
                    _ = try await UserRepository(database: database).bootstrapAdmin(password: nil)
                }
                let users = try await database.query("SELECT username FROM users").collect(String.self)
                #expect(users == ["admin"])
            }
            built.cleanup()
        }
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("tls/ca.crt").path))
    }
}

import Foundation
import Logging
import PostgresNIO

@testable import testfleet_controller

/// The PostgreSQL the tests use: `TESTFLEET_TEST_DATABASE_URL` when set (CI starts one), otherwise a
/// throwaway cluster started once per test process with the controller's own embedded-cluster code.
/// Every test gets a fresh database copied from a migrated template.
enum TestDatabase {
    private struct Server: Sendable {
        var adminURL: URLComponents
        var cluster: EmbeddedPostgres?
    }

    private static let logger: Logger = {
        var logger = Logger(label: "testfleet.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// The URL of a new, migrated database of its own.
    static func fresh() async throws -> String {
        let server = try await shared()
        let name = "tf_test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try await withAdmin(server) { client in
            try await client.query("CREATE DATABASE \(unescaped: name) TEMPLATE tf_template")
        }
        var url = server.adminURL
        url.path = "/" + name
        return url.string!
    }

    /// A fresh database that is not migrated, for the migration tests.
    static func empty() async throws -> String {
        let server = try await shared()
        let name = "tf_empty_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try await withAdmin(server) { client in
            try await client.query("CREATE DATABASE \(unescaped: name)")
        }
        var url = server.adminURL
        url.path = "/" + name
        return url.string!
    }

    /// Starts the server once; every caller waits for the same start.
    private static let starting = OneShotTask<Server>()

    private static func shared() async throws -> Server {
        try await starting.run { try await start() }
    }

    private static func start() async throws -> Server {
        var started: Server
        if let url = ProcessInfo.processInfo.environment["TESTFLEET_TEST_DATABASE_URL"], !url.isEmpty {
            started = Server(adminURL: URLComponents(string: url)!, cluster: nil)
        } else {
            let directory = URL(fileURLWithPath: NSTemporaryDirectory())
                .appendingPathComponent("testfleet-tests-\(getpid())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // Room for every suite's controllers at once, as the cluster CI starts has: the suites start together,
            // and a connection refused for want of room is retried by its pool after a pause.
            let cluster = try EmbeddedPostgres(dataDirectory: directory, logger: logger, maxConnections: 1000)
            let connection = try await Blocking.run { try cluster.start() }
            started = Server(adminURL: URLComponents(string: connection.url)!, cluster: cluster)
            StopAtExit.register(cluster: cluster, directory: directory)
        }
        // The template every test database is copied from: a migrated schema.
        try await withAdmin(started) { client in
            try await client.query("DROP DATABASE IF EXISTS tf_template")
            try await client.query("CREATE DATABASE tf_template")
        }
        var template = started.adminURL
        template.path = "/tf_template"
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(template.string!), logger: logger).run { client in
            try await Migrator().migrate(Database(client: client, logger: logger, metrics: ControllerMetrics()), logger: logger)
        }
        return started
    }

    private static func withAdmin(_ server: Server, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(server.adminURL.string!), logger: logger).run(body)
    }

}

/// Stops the tests' own cluster when the test process exits.
enum StopAtExit {
    nonisolated(unsafe) private static var cluster: EmbeddedPostgres?
    nonisolated(unsafe) private static var directory: URL?

    static func register(cluster: EmbeddedPostgres, directory: URL) {
        Self.cluster = cluster
        Self.directory = directory
        atexit {
            StopAtExit.cluster?.stop()
            if let directory = StopAtExit.directory { try? FileManager.default.removeItem(at: directory) }
        }
    }
}

import ControllerClient
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Testing
import WireProtocol

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
        let first = try await Blocking.run { try cluster.start() }
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(first.url), logger: Self.logger).run { client in
            try await client.query("CREATE TABLE kept (value text)")
            try await client.query("INSERT INTO kept VALUES ('survives')")
        }
        _ = try await Blocking.run { cluster.stop() }
        #expect(cluster.runningPort() == nil)
        let second = try await Blocking.run { try EmbeddedPostgres(dataDirectory: directory, logger: Self.logger).start() }
        try await PostgresClientRunner(configuration: try DatabaseURL.parse(second.url), logger: Self.logger).run { client in
            let values = try await client.query("SELECT value FROM kept").collect(String.self)
            #expect(values == ["survives"])
        }
        // A second start while it runs reuses the running server.
        let third = try await Blocking.run { try EmbeddedPostgres(dataDirectory: directory, logger: Self.logger).start() }
        #expect(third.port == second.port)
        _ = try await Blocking.run { cluster.stop() }
        let password = try String(contentsOf: directory.appendingPathComponent("postgres-password"), encoding: .utf8)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("postgres-password").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!password.isEmpty)
    }

    @Test("a controller on its embedded default comes up on an empty data directory and again on the same one, data kept")
    func controllerOnEmbedded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-embedded-ctl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for round in 0..<2 {
            var config = ControllerConfiguration()
            config.dataDirectory = directory
            config.host = "127.0.0.1"
            config.port = 0
            let port = PortBox()
            let built = try await ControllerApplication.build(config: config, logger: Self.logger) { port.set($0) }
            let group = ServiceGroup(configuration: .init(services: [built.application], logger: Self.logger))
            let running = Task { try await group.run() }
            let url = "https://127.0.0.1:\(try await port.wait())"
            let ca = try String(contentsOf: directory.appendingPathComponent("tls/ca.crt"), encoding: .utf8)
            let client = TestClients.keep(try ControllerClient(baseURL: url, caCertificatePEM: ca, bearer: nil))
            let ready =
                (try? await waitUntil("the controller is ready", every: .milliseconds(100)) {
                    (try? await client.send(.GET, "/readyz"))?.status == 200
                }) != nil
            #expect(ready)
            let passwordFile = directory.appendingPathComponent("initial-admin-password")
            let password = try String(contentsOf: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let mode = try FileManager.default.attributesOfItem(atPath: passwordFile.path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            let basic = [("Authorization", "Basic " + Data("admin:\(password)".utf8).base64EncodedString())]
            if round == 0 {
                let created = try await client.request(.POST, "/api/v1/products", json: ProductInput(name: "kept", version: "1"), headers: basic)
                #expect(created.status == 201)
            } else {
                let products = try await client.request(.GET, "/api/v1/products", headers: basic).decode(Page<Product>.self)
                #expect(products.items.map(\.name) == ["kept"])
            }
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            await built.cleanup()
        }
    }
}

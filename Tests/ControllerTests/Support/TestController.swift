import AsyncHTTPClient
import ControllerClient
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WireProtocol

@testable import testfleet_controller

/// A real controller for a test: its own database, HTTPS on a loopback port, its own data directory and CA;
/// and a client holding an admin API token.
final class TestController: Sendable {
    let url: String
    let port: Int
    let dataDirectory: URL
    let databaseURL: String
    let services: ControllerServices
    let admin: ControllerClient
    let adminToken: String
    let caPEM: String
    let fingerprint: String
    let routes: [String]
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    /// Web clients of this controller, shut down when it stops.
    private let webClients = Synchronization.Mutex<[WebClient]>([])

    static let adminPassword = "admin-password-for-tests"

    /// Starts a controller; it schedules by `clock`, the database's unless the test brings one it moves itself.
    static func start(
        logHandler: (any LogHandler)? = nil,
        databaseURL: String? = nil,
        dataDirectory: URL? = nil,
        clock: SchedulingClock = .database,
        configure: (inout ControllerConfiguration) -> Void = { _ in }
    ) async throws -> TestController {
        let database: String
        if let databaseURL { database = databaseURL } else { database = try await TestDatabase.fresh() }
        let data = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("tf-ctl-\(UUID().uuidString)")
        var config = ControllerConfiguration()
        config.dataDirectory = data
        config.host = "127.0.0.1"
        config.port = 0
        config.databaseURL = database
        config.databasePoolSize = 8
        config.adminPassword = adminPassword
        config.reaperIntervalSeconds = 0.5
        configure(&config)
        var logger =
            logHandler.map { handler in Logger(label: "testfleet.test-controller", factory: { _ in handler }) }
            ?? Logger(label: "testfleet.test-controller")
        if logHandler == nil {
            logger.logLevel = ProcessInfo.processInfo.environment["TESTFLEET_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        }
        let portBox = PortBox()
        let built = try await ControllerApplication.build(config: config, logger: logger, clock: clock) { port in portBox.set(port) }
        let group = ServiceGroup(configuration: .init(services: [built.application], logger: logger))
        let running = Task { try await group.run() }
        let port = try await portBox.wait()
        let url = "https://127.0.0.1:\(port)"
        let caPEM = try String(contentsOf: data.appendingPathComponent("tls/ca.crt"), encoding: .utf8)
        let bootstrap = TestClients.keep(try ControllerClient(baseURL: url, caCertificatePEM: caPEM, bearer: nil))
        // Wait until migrated and ready: with many tests starting controllers at once on a busy machine, that can
        // take a while, and a request sent before would wait for it within its own time limit.
        try await waitUntil("the controller is ready", timeout: 120) {
            (try? await bootstrap.send(.GET, "/readyz"))?.status == 200
        }
        let basic = Data("admin:\(adminPassword)".utf8).base64EncodedString()
        let answer = try await bootstrap.send(
            .POST,
            "/api/v1/tokens",
            body: Data(#"{"name":"tests"}"#.utf8),
            headers: [("Authorization", "Basic \(basic)")],
            timeout: .seconds(60)
        )
        guard answer.status == 201 else { throw TestFailure("token creation failed: \(answer.status)") }
        let token = try WireJSON.decoder().decode(CreatedToken.self, from: answer.body).token
        return TestController(
            url: url,
            port: port,
            dataDirectory: data,
            databaseURL: database,
            services: built.services,
            admin: TestClients.keep(try ControllerClient(baseURL: url, caCertificatePEM: caPEM, bearer: token)),
            adminToken: token,
            caPEM: caPEM,
            fingerprint: built.services.tlsFingerprint ?? "",
            routes: built.routes,
            group: group,
            running: running
        )
    }

    private init(
        url: String,
        port: Int,
        dataDirectory: URL,
        databaseURL: String,
        services: ControllerServices,
        admin: ControllerClient,
        adminToken: String,
        caPEM: String,
        fingerprint: String,
        routes: [String],
        group: ServiceGroup,
        running: Task<Void, any Error>
    ) {
        self.routes = routes
        self.url = url
        self.port = port
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.services = services
        self.admin = admin
        self.adminToken = adminToken
        self.caPEM = caPEM
        self.fingerprint = fingerprint
        self.group = group
        self.running = running
    }

    /// Runs one reaper pass at the scheduling clock's time: what the reaper's loop does soon after a test moved
    /// the clock, done at once.
    func sweep() async throws {
        try await Reaper(services: services).sweep()
    }

    /// Writes the presence of nodes seen since the last write: what the presence writer's loop does soon after,
    /// done at once.
    func flushPresence() async throws {
        try await PresenceWriter(activity: services.activity, database: services.database, clock: services.clock, logger: services.logger)
            .flush()
    }

    /// Keeps `web` until this controller stops, which then shuts it down.
    func own(_ web: WebClient) { webClients.withLock { $0.append(web) } }

    /// Stops the controller as SIGTERM would, then shuts down its web clients. Stopping again does nothing more. A
    /// controller that has not stopped within a minute fails the test that started it, rather than hanging the run.
    func stop() async {
        await group.triggerGracefulShutdown()
        let stopped = OneShotValue<Bool>()
        let running = self.running
        Task {
            _ = try? await running.value
            stopped.set(true)
        }
        do {
            try await waitUntil("the controller to stop", timeout: 60) { stopped.get() == true }
        } catch {
            Issue.record("\(error)")
            return
        }
        let clients = webClients.withLock { clients in
            defer { clients = [] }
            return clients
        }
        for web in clients { await web.shutdown() }
    }
}

/// Carries the bound port out of the server's start callback.
final class PortBox: Sendable {
    private let port = OneShotValue<Int>()

    func set(_ value: Int) { port.set(value) }

    func wait() async throws -> Int {
        // As long as readiness may take: with many tests starting controllers at once on a busy machine, the
        // server binds its port only after what it runs before that has had its share of the cores.
        try await waitFor("the controller to start listening", timeout: 120) { port.get() }
    }
}

final class OneShotValue<T: Sendable>: Sendable {
    private let value = Synchronization.Mutex<T?>(nil)

    func set(_ newValue: T) { value.withLock { $0 = newValue } }
    func get() -> T? { value.withLock { $0 } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

/// Clients live until the test process ends: an HTTP client must be shut down before it is released, and a
/// failing test may not get that far.
enum TestClients {
    private static let clients = Synchronization.Mutex<[ControllerClient]>([])

    static func keep(_ client: ControllerClient) -> ControllerClient {
        clients.withLock { $0.append(client) }
        return client
    }
}

/// A change to a test controller's configuration, made before it starts.
struct ConfigurationChange {
    let apply: (inout ControllerConfiguration) -> Void

    static func set(_ apply: @escaping (inout ControllerConfiguration) -> Void) -> ConfigurationChange {
        ConfigurationChange(apply: apply)
    }
}

/// Starts a controller (as ``TestController/start(logHandler:databaseURL:dataDirectory:clock:configure:)``), runs
/// `body` with it, and stops it however `body` ends.
func withController<T>(
    _ change: ConfigurationChange? = nil,
    clock: SchedulingClock = .database,
    logHandler: (any LogHandler)? = nil,
    databaseURL: String? = nil,
    dataDirectory: URL? = nil,
    _ body: (TestController) async throws -> T
) async throws -> T {
    let controller = try await TestController.start(
        logHandler: logHandler,
        databaseURL: databaseURL,
        dataDirectory: dataDirectory,
        clock: clock
    ) { change?.apply(&$0) }
    return try await using(controller, stop: { await $0.stop() }, body)
}

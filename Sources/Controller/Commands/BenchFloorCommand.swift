import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import PostgresNIO
import Synchronization
import WireProtocol

/// `testfleet-controller bench-floor`: the least a case's turn asks of a controller, served on the controller's own
/// stack (Hummingbird over TLS, the same JSON, PostgresNIO with a prepared statement). A result is decoded, one row
/// is updated in a durable commit of its own, and the answer carries the next lease. `testfleet-bench floor` drives
/// it as real agents drive the controller, so that its figures stand beside theirs: what the stack and the machine
/// cost a case, and what Testfleet's own work adds to it.
struct BenchFloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-floor",
        abstract: "Serve the least a case's result needs on the controller's stack, for testfleet-bench floor."
    )

    @Option(help: "PostgreSQL URL of a database it may create its table in.") var databaseURL: String
    @Option(help: "Where its TLS material goes; tls/ca.crt in it is the CA to trust.") var dataDir: String
    @Option(help: "Port to listen on, on 127.0.0.1.") var port: Int
    @Option(help: "Database connections.") var pool = 20

    func run() async throws {
        let logger = ControllerLogging.quiet("testfleet.bench-floor")
        let client = PostgresClient(configuration: try DatabaseURL.parse(databaseURL, connections: pool), backgroundLogger: logger)
        var config = ControllerConfiguration()
        config.dataDirectory = URL(fileURLWithPath: dataDir, isDirectory: true)
        config.host = "127.0.0.1"
        config.port = port
        let tls = try TLSSetup.prepare(config, logger: logger)

        let router = Router(context: AppRequestContext.self)
        router.get("readyz") { _, _ in HTTPResponse.Status.ok }
        // The paths agents lease from and post results to: the benchmark uses the agents' own client. Each lease
        // request starts a slot of its own, with a row of its own; its results carry the slot in their token.
        let slots = Atomic<Int64>(0)
        router.post("api/v1/agent/lease") { request, context -> Response in
            let slot = slots.add(1, ordering: .relaxed).newValue % Self.rows
            return try context.responseEncoder.encode(Assignment.run(Self.lease(slot: slot)), from: request, context: context)
        }
        router.post("api/v1/agent/leases/:id/result") { request, context -> Response in
            let result = try await request.decode(as: CaseResult.self, context: context)
            for try await _ in try await client.execute(FloorStatement(slot: result.token), logger: logger) {}
            let next = Self.lease(slot: result.token)
            return try context.responseEncoder.encode(ResultAnswer(next: .run(next)), from: request, context: context)
        }
        var application = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls.configuration),
            configuration: .init(address: .hostname(config.host, port: port), serverName: "testfleet-floor"),
            services: [client],
            logger: logger
        )
        application.beforeServerStarts {
            try await client.query(
                "CREATE TABLE IF NOT EXISTS bench_floor (slot bigint PRIMARY KEY, turns bigint NOT NULL DEFAULT 0)",
                logger: logger
            )
            try await client.query(
                "INSERT INTO bench_floor (slot) SELECT generate_series(0, \(Self.rows - 1)) ON CONFLICT DO NOTHING",
                logger: logger
            )
        }
        try await application.runService()
    }

    /// Rows, and so slots that each have a row of their own.
    private static let rows: Int64 = 1024

    /// A lease for `slot`: its token names the slot's row.
    private static func lease(slot: Int64) -> Lease {
        let item = LeasedItem(name: "floor", version: "1", path: "/tmp")
        return Lease(
            leaseId: UUID(),
            token: slot,
            expiresAt: Date().addingTimeInterval(60),
            heartbeatIntervalS: 10,
            caseId: slot,
            caseName: "floor",
            taskId: 1,
            attempt: 1,
            commandTemplate: "true {case}",
            product: item,
            tool: item,
            timeoutS: 3600
        )
    }
}

/// The floor's one statement per case: a row of its own slot counted, in a commit of its own.
private struct FloorStatement: PostgresPreparedStatement {
    static let name = "testfleet_floor"
    static let sql = "UPDATE bench_floor SET turns = turns + 1 WHERE slot = $1"
    typealias Row = ()

    var slot: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(slot)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { () }
}

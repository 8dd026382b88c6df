import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Synchronization
import WireProtocol

/// `testfleet-controller bench-sql`: drives the controller's own lease and result statements straight
/// against a database (each result asking for the next case, as agents do), with no HTTP in between: the ceiling the HTTP dispatch rate is compared with. With
/// `--queued N` it instead measures one lease + result against an empty queue and against N queued cases,
/// and prints the lease statement's plan.
struct BenchSQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-sql",
        abstract: "Measure the lease and result statements directly against a database."
    )

    @Option(help: "PostgreSQL URL.") var databaseURL: String
    @Option(help: "Concurrent workers, one simulated node each.") var workers = 100
    @Option(help: "Database connections.") var pool = 20
    @Option(help: "Seconds to measure.") var seconds = 10.0
    @Option(help: "Cases queued for the throughput run.") var cases = 50_000
    @Option(help: "Measure lease cost with this many queued cases instead.") var queued: Int?

    func run() async throws {
        let logger = ControllerLogging.quiet("testfleet.bench-sql")
        let configuration = try DatabaseURL.parse(databaseURL, connections: pool)
        let workers = self.workers
        let seconds = self.seconds
        let cases = self.cases
        let queued = self.queued
        try await PostgresClientRunner(configuration: configuration, logger: logger).run { client in
            let database = Database(client: client, logger: logger, metrics: ControllerMetrics())
            try await Migrator().migrate(database, logger: logger)
            let bench = SQLBench(database: database, logger: logger)
            let output: [String: Any]
            if let queued {
                output = try await bench.leaseCost(queued: queued)
            } else {
                output = try await bench.throughput(workers: workers, seconds: seconds, cases: cases)
            }
            let data = try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

import Logging
import PostgresNIO

/// Runs a `PostgresClient` for the length of a closure, for commands that work outside the server.
struct PostgresClientRunner {
    let configuration: PostgresClient.Configuration
    let logger: Logger

    func run(_ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let (running, started) = AsyncStream<Never>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                started.finish()
                await client.run()
            }
            defer { group.cancelAll() }
            // A query before the client runs would wait all the same, but PostgresNIO warns of it.
            for await _ in running {}
            try await body(client)
        }
    }
}

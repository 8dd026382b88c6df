import Logging
import PostgresNIO

/// Runs a `PostgresClient` for the length of a closure, for commands that work outside the server.
struct PostgresClientRunner {
    let configuration: PostgresClient.Configuration
    let logger: Logger

    func run(_ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(client)
        }
    }
}

import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// Where the controller is and how to talk to it as admin.
struct Target: ParsableArguments {
    @OptionGroup var server: Server
    @Option(help: "An admin API token.") var token: String

    /// Runs `body` against the controller with `nodes` enrolled through a client of `connections`, and closes
    /// the client after.
    func run(
        nodes: Int,
        connections: Int = 64,
        runCommand: String = "true",
        _ body: (Bench, Bench.Setup) async throws -> Void
    ) async throws {
        try await server.withClients(1, connections: connections) { clients in
            let bench = Bench(client: clients[0], admin: [("Authorization", "Bearer \(token)")])
            try await body(bench, try await bench.setUp(nodes: nodes, runCommand: runCommand))
        }
    }
}

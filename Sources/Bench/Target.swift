import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// Where the controller is and how to talk to it as admin.
struct Target: ParsableArguments {
    @Option(help: "Controller URL.") var controller: String
    @Option(help: "CA certificate (PEM) of the controller.") var ca: String
    @Option(help: "An admin API token.") var token: String

    func bench(connections: Int = 64) throws -> Bench {
        let pem = try String(contentsOfFile: ca, encoding: .utf8)
        let client = try ControllerClient(baseURL: controller, caCertificatePEM: pem, bearer: nil, maxConnections: connections)
        return Bench(client: client, admin: [("Authorization", "Bearer \(token)")])
    }

    /// Runs `body` against the controller with `nodes` enrolled through a client of `connections`, and closes
    /// the client after.
    func run(
        nodes: Int,
        connections: Int = 64,
        runCommand: String = "true",
        _ body: (Bench, Bench.Setup) async throws -> Void
    ) async throws {
        let bench = try self.bench(connections: connections)
        let setup = try await bench.setUp(nodes: nodes, runCommand: runCommand)
        try await body(bench, setup)
        await bench.client.shutdown()
    }
}

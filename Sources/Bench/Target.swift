import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

/// Where the controller is and the CA its certificate chains to.
struct Server: ParsableArguments {
    @Option(help: "Controller URL.") var controller: String
    @Option(help: "CA certificate (PEM) of the controller.") var ca: String

    /// A client of at most `connections` connections to it, sending no credential of its own.
    func client(connections: Int) throws -> ControllerClient {
        let pem = try String(contentsOfFile: ca, encoding: .utf8)
        return try ControllerClient(baseURL: controller, caCertificatePEM: pem, bearer: nil, maxConnections: connections)
    }
}

/// Where the controller is and how to talk to it as admin.
struct Target: ParsableArguments {
    @OptionGroup var server: Server
    @Option(help: "An admin API token.") var token: String

    func bench(connections: Int = 64) throws -> Bench {
        Bench(client: try server.client(connections: connections), admin: [("Authorization", "Bearer \(token)")])
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

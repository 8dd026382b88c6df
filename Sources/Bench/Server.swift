import ArgumentParser
import ControllerClient
import Foundation

/// Where the controller is and the CA its certificate chains to.
struct Server: ParsableArguments {
    @Option(help: "Controller URL.") var controller: String
    @Option(help: "CA certificate (PEM) of the controller.") var ca: String

    /// Runs `body` with `count` clients of at most `connections` connections each, sending no credential of
    /// their own, and shuts them down after, also when `body` throws.
    func withClients<Value>(_ count: Int, connections: Int, _ body: ([ControllerClient]) async throws -> Value) async throws -> Value {
        let pem = try String(contentsOfFile: ca, encoding: .utf8)
        var clients: [ControllerClient] = []
        do {
            for _ in 0..<count {
                clients.append(try ControllerClient(baseURL: controller, caCertificatePEM: pem, bearer: nil, maxConnections: connections))
            }
            let value = try await body(clients)
            for client in clients { await client.shutdown() }
            return value
        } catch {
            for client in clients { await client.shutdown() }
            throw error
        }
    }
}

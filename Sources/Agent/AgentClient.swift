import ControllerClient
import Foundation
import WireProtocol

/// The agent protocol over a ``ControllerClient``.
struct AgentClient: Sendable {
    let client: ControllerClient

    func inventory(_ inventory: Inventory) async throws -> InventoryResponse {
        try await client.call(.POST, "/api/v1/agent/inventory", body: inventory, as: InventoryResponse.self)
    }

    /// The next case, or `nil` when none came within `wait` seconds.
    func lease(wait: Int, freeSlots: Int) async throws -> Lease? {
        let body = try WireJSON.encoder().encode(LeaseRequest(waitS: Double(wait), freeSlots: freeSlots))
        let answer = try await client.send(.POST, "/api/v1/agent/lease", body: body, timeout: .seconds(wait + 20))
        switch answer.status {
        case 204: return nil
        case 200:
            do {
                return try WireJSON.decoder().decode(Lease.self, from: answer.body)
            } catch {
                throw ClientError(status: 200, message: "unreadable lease: \(error)")
            }
        default: throw ClientError(answer: answer)
        }
    }

    func heartbeat(_ lease: Lease) async throws -> HeartbeatResponse {
        try await client.call(
            .POST,
            "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/heartbeat",
            body: HeartbeatRequest(token: lease.token),
            as: HeartbeatResponse.self
        )
    }

    /// Appends a log chunk; a gap answers with the controller's end in the error's `offset`.
    func appendLog(_ lease: Lease, offset: Int64, bytes: Data) async throws -> Int64 {
        let answer = try await client.send(
            .POST,
            "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/log?offset=\(offset)",
            body: bytes,
            contentType: "application/octet-stream",
            headers: [("X-Testfleet-Lease-Token", String(lease.token))]
        )
        guard answer.status == 200 else { throw ClientError(answer: answer) }
        return try WireJSON.decoder().decode(LogAck.self, from: answer.body).offset
    }

    func result(_ lease: Lease, _ result: CaseResult) async throws {
        try await client.perform(.POST, "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/result", body: result)
    }

    func node() async throws -> AgentSelf {
        try await client.call(.GET, "/api/v1/agent/node", as: AgentSelf.self)
    }
}

import Foundation

/// Body of `POST /api/v1/agent/leases/{id}/heartbeat`.
public struct HeartbeatRequest: Codable, Sendable {
    public var token: Int64

    public init(token: Int64) { self.token = token }
}

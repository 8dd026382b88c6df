import Foundation

/// What `GET /api/v1/agent/node` tells an agent about itself.
public struct AgentSelf: Codable, Sendable {
    public var node: NodeInfo

    public init(node: NodeInfo) { self.node = node }
}

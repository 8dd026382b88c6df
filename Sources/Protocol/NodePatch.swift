import Foundation

/// Body of `PATCH /api/v1/nodes/{id}`.
public struct NodePatch: Codable, Sendable {
    public var state: NodeState?
    public var slots: Int?
    /// The labels an admin assigns; the node keeps those its agent reports besides.
    public var labels: [String]?

    public init(state: NodeState? = nil, slots: Int? = nil, labels: [String]? = nil) {
        self.state = state
        self.slots = slots
        self.labels = labels
    }
}

/// What a node may do.
public enum NodeState: String, Codable, Sendable, CaseIterable {
    case online, offline, draining, disabled
}

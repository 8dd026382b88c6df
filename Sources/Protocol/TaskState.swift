/// The life of one task.
public enum TaskState: String, Codable, Sendable, CaseIterable {
    case queued, running, completed, cancelled

    public var isTerminal: Bool { self == .completed || self == .cancelled }
}

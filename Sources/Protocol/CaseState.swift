/// The life of one case.
public enum CaseState: String, Codable, Sendable, CaseIterable {
    case queued, leased, running, passed, failed, error, skipped
    case timedOut = "timed_out"
    case cancelled

    /// A terminal case never changes again.
    public var isTerminal: Bool {
        switch self {
        case .queued, .leased, .running: false
        default: true
        }
    }

    /// Held by a node right now.
    public var isActive: Bool { self == .leased || self == .running }
}

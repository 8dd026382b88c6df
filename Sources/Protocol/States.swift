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

/// The life of one task.
public enum TaskState: String, Codable, Sendable, CaseIterable {
    case queued, running, completed, cancelled

    public var isTerminal: Bool { self == .completed || self == .cancelled }
}

/// What a node may do.
public enum NodeState: String, Codable, Sendable, CaseIterable {
    case online, offline, draining, disabled
}

/// How one attempt of a case ended, as recorded in its run.
public enum RunOutcome: String, Codable, Sendable, CaseIterable {
    case passed, failed, error, skipped
    case timedOut = "timed_out"
    case cancelled, lost
}

/// What an agent reports a case ended as.
public enum ResultStatus: String, Codable, Sendable, CaseIterable {
    case passed, failed, error, skipped
    case timedOut = "timed_out"
    case cancelled
}

public enum UserRole: String, Codable, Sendable, CaseIterable {
    case admin, member
}

/// What an agent reports a case ended as.
public enum ResultStatus: String, Codable, Sendable, CaseIterable {
    case passed, failed, error, skipped
    case timedOut = "timed_out"
    case cancelled
}

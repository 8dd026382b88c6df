/// How one attempt of a case ended, as recorded in its run.
public enum RunOutcome: String, Codable, Sendable, CaseIterable {
    case passed, failed, error, skipped
    case timedOut = "timed_out"
    case cancelled, lost
}

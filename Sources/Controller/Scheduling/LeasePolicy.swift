import WireProtocol

/// The decisions of the lease life cycle, apart from the SQL that applies them.
struct LeasePolicy: Sendable {
    var leaseTTLSeconds = 45
    var heartbeatIntervalSeconds = 10
    var agingIntervalSeconds = 60
    var retryAvoidSeconds = 60
    var nodeMaxInfraFailures = 3

    enum Decision: Equatable, Sendable {
        /// Back to the queue for another attempt.
        case retry
        /// The case ends in `state`; `note` explains a state the agent did not report.
        case finish(CaseState, note: String?)
    }

    /// What becomes of a case after a run ended with `status`. Only infrastructure errors are retried, up to
    /// the task's limit; a test failure never is.
    func afterResult(status: ResultStatus, attempts: Int, maxInfraRetries: Int, taskCancelled: Bool) -> Decision {
        if taskCancelled && status != .passed && status != .failed {
            return .finish(.cancelled, note: status == .cancelled ? nil : "task cancelled")
        }
        switch status {
        case .error:
            return attempts <= maxInfraRetries
                ? .retry
                : .finish(.error, note: attempts > 1 ? "failed on infrastructure \(attempts) times" : nil)
        case .passed: return .finish(.passed, note: nil)
        case .failed: return .finish(.failed, note: nil)
        case .skipped: return .finish(.skipped, note: nil)
        case .timedOut: return .finish(.timedOut, note: nil)
        case .cancelled: return .finish(.cancelled, note: nil)
        }
    }

    /// What becomes of a case whose lease expired with no result.
    func afterLostRun(attempts: Int, maxInfraRetries: Int, taskCancelled: Bool) -> Decision {
        if taskCancelled { return .finish(.cancelled, note: "task cancelled; the node stopped answering") }
        return attempts <= maxInfraRetries
            ? .retry
            : .finish(.error, note: "lost \(attempts) times: the node running it stopped answering")
    }
}

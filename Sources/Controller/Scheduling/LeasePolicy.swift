import WireProtocol

/// The decisions of the lease life cycle, apart from the SQL that applies them.
struct LeasePolicy: Sendable {
    var leaseTTLSeconds = 45
    var heartbeatIntervalSeconds = 10
    var agingIntervalSeconds = 60
    var retryAvoidSeconds = 60
    var nodeMaxInfraFailures = 3
    /// Hand-backs a case may have; the next counts as an infrastructure failure, so that a case that stops its
    /// agent does not go round the nodes for ever.
    var handBackLimit = 3

    /// What was cancelled while a case ran: its whole task, or the case alone.
    enum Cancellation: Sendable {
        case task
        case `case`

        var note: String { self == .task ? "task cancelled" : "case cancelled" }
    }

    enum Decision: Equatable, Sendable {
        /// Back to the queue for another attempt, avoiding the node it failed on for a while.
        case retry
        /// Back to the queue without using a retry, avoiding no node: its agent stopped it while shutting down.
        case handBack
        /// The case ends in `state`; `note` explains a state the agent did not report.
        case finish(CaseState, note: String?)
    }

    /// What becomes of a case after a run ended with `status`. Only infrastructure errors are retried, up to
    /// the task's limit; a test failure never is. A cancelled case that passed or failed all the same keeps that.
    /// A case its agent `handedBack` as it shut down is queued again unless it was cancelled, up to
    /// ``handBackLimit`` times (`handBacksBefore` so far). `attempts` counts the runs that were not handed back.
    func afterResult(
        status: ResultStatus,
        attempts: Int,
        maxInfraRetries: Int,
        cancelled: Cancellation?,
        handedBack: Bool = false,
        handBacksBefore: Int = 0
    ) -> Decision {
        if let cancelled, status != .passed && status != .failed {
            return .finish(.cancelled, note: status == .cancelled ? nil : cancelled.note)
        }
        if handedBack && status == .error && handBacksBefore < handBackLimit { return .handBack }
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

    /// Whether a case that ended in `state` teaches how long it takes: only a test that ran to its verdict does.
    func learnsDuration(_ state: CaseState) -> Bool { state == .passed || state == .failed }

    /// What becomes of a case whose lease expired with no result; `attempts` counts the runs not handed back.
    func afterLostRun(attempts: Int, maxInfraRetries: Int, cancelled: Cancellation?) -> Decision {
        if let cancelled { return .finish(.cancelled, note: "\(cancelled.note); the node stopped answering") }
        return attempts <= maxInfraRetries
            ? .retry
            : .finish(.error, note: "lost \(attempts) times: the node running it stopped answering")
    }
}

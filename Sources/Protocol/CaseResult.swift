import Foundation

/// Body of `POST /api/v1/agent/leases/{id}/result`.
public struct CaseResult: Codable, Sendable, Equatable {
    public var token: Int64
    public var status: ResultStatus
    public var exitCode: Int?
    public var durationMs: Int64
    public var message: String?
    /// The end of the case's output, when it is small: stored with the result instead of in a log request of
    /// its own.
    public var log: LogTail?
    /// Ask for the node's next assignment in the answer: one round trip per case instead of two.
    public var next: NextRequest?
    /// The tests of a JUnit XML result file, in the file's order; absent when the case wrote none.
    public var tests: [TestRecord]?
    /// Set, with status `error`, when the agent stopped the case because it is shutting down: the case did not
    /// fail, and goes back to the queue without using a retry, avoiding no node and saying nothing of the node's
    /// health (up to the controller's limit of hand-backs per case).
    public var handedBack: Bool?

    public init(
        token: Int64,
        status: ResultStatus,
        exitCode: Int?,
        durationMs: Int64,
        message: String?,
        log: LogTail? = nil,
        next: NextRequest? = nil,
        tests: [TestRecord]? = nil,
        handedBack: Bool? = nil
    ) {
        self.token = token
        self.status = status
        self.exitCode = exitCode
        self.durationMs = durationMs
        self.message = message
        self.log = log
        self.next = next
        self.tests = tests
        self.handedBack = handedBack
    }

    /// The result as recorded, without what travels with it.
    public var recorded: CaseResult {
        CaseResult(
            token: token,
            status: status,
            exitCode: exitCode,
            durationMs: durationMs,
            message: message,
            tests: tests,
            handedBack: handedBack
        )
    }
}

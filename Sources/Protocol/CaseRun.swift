import Foundation

/// One attempt of a case: where it ran and how it ended.
public struct CaseRun: Codable, Sendable {
    public var id: UUID
    public var attempt: Int
    public var node: NodeSummary
    /// Absent while the run is under way.
    public var outcome: RunOutcome?
    public var exitCode: Int?
    public var durationMs: Int64?
    public var message: String?
    public var leasedAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var leaseExpiresAt: Date
    public var logBytes: Int64
    /// The tests this attempt reported; absent when it reported none.
    public var tests: TestCounts?

    public init(
        id: UUID,
        attempt: Int,
        node: NodeSummary,
        outcome: RunOutcome?,
        exitCode: Int?,
        durationMs: Int64?,
        message: String?,
        leasedAt: Date,
        startedAt: Date?,
        endedAt: Date?,
        leaseExpiresAt: Date,
        logBytes: Int64,
        tests: TestCounts? = nil
    ) {
        self.id = id
        self.attempt = attempt
        self.node = node
        self.outcome = outcome
        self.exitCode = exitCode
        self.durationMs = durationMs
        self.message = message
        self.leasedAt = leasedAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.leaseExpiresAt = leaseExpiresAt
        self.logBytes = logBytes
        self.tests = tests
    }
}

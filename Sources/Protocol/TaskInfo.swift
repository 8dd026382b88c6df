import Foundation

public struct TaskInfo: Codable, Sendable {
    public var id: Int64
    public var name: String
    public var state: TaskState
    public var product: ItemSummary
    public var tool: ItemSummary
    public var submittedBy: String
    public var priority: Int
    public var caseTimeoutS: Int
    public var maxInfraRetries: Int
    public var counts: CaseCounts
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Seconds until the last case is expected to end, from duration history and live throughput.
    public var etaS: Int?
    /// Why queued cases are not running, in words; absent when nothing waits unexplained.
    public var pendingReason: String?
    /// The report path, once the task has ended.
    public var reportUrl: String?
    /// Tests of the cases that read a JUnit XML result file, summed over the final attempt of each case;
    /// absent when no case reported tests.
    public var tests: TestCounts?
    /// Labels a node must all have to run the task's cases.
    public var labels: [String]
    /// The task this one reruns cases of.
    public var rerunOf: Int64?

    public init(
        id: Int64,
        name: String,
        state: TaskState,
        product: ItemSummary,
        tool: ItemSummary,
        submittedBy: String,
        priority: Int,
        caseTimeoutS: Int,
        maxInfraRetries: Int,
        counts: CaseCounts,
        createdAt: Date,
        startedAt: Date?,
        finishedAt: Date?,
        etaS: Int? = nil,
        pendingReason: String? = nil,
        reportUrl: String? = nil,
        tests: TestCounts? = nil,
        labels: [String] = [],
        rerunOf: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.state = state
        self.product = product
        self.tool = tool
        self.submittedBy = submittedBy
        self.priority = priority
        self.caseTimeoutS = caseTimeoutS
        self.maxInfraRetries = maxInfraRetries
        self.counts = counts
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.etaS = etaS
        self.pendingReason = pendingReason
        self.reportUrl = reportUrl
        self.tests = tests
        self.labels = labels
        self.rerunOf = rerunOf
    }
}

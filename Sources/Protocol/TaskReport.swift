import Foundation

/// The report of a finished task: `GET /api/v1/tasks/{id}/report`.
public struct TaskReport: Codable, Sendable {
    public struct Durations: Codable, Sendable, Equatable {
        public var sumMs: Int64
        public var medianMs: Int64?
        public var p95Ms: Int64?
        public var maxMs: Int64?

        public init(sumMs: Int64, medianMs: Int64?, p95Ms: Int64?, maxMs: Int64?) {
            self.sumMs = sumMs
            self.medianMs = medianMs
            self.p95Ms = p95Ms
            self.maxMs = maxMs
        }
    }

    public struct NodeBreakdown: Codable, Sendable, Equatable {
        public var node: NodeSummary
        public var counts: CaseCounts
        public var durationMs: Int64

        public init(node: NodeSummary, counts: CaseCounts, durationMs: Int64) {
            self.node = node
            self.counts = counts
            self.durationMs = durationMs
        }
    }

    public struct CaseEntry: Codable, Sendable, Equatable {
        public var caseId: Int64
        public var name: String
        public var state: CaseState
        public var node: NodeSummary?
        public var attempts: Int
        public var durationMs: Int64?
        public var exitCode: Int?
        public var message: String?
        public var logUrl: String

        public init(
            caseId: Int64,
            name: String,
            state: CaseState,
            node: NodeSummary?,
            attempts: Int,
            durationMs: Int64?,
            exitCode: Int?,
            message: String?,
            logUrl: String
        ) {
            self.caseId = caseId
            self.name = name
            self.state = state
            self.node = node
            self.attempts = attempts
            self.durationMs = durationMs
            self.exitCode = exitCode
            self.message = message
            self.logUrl = logUrl
        }
    }

    /// How many tests a report names in each of its lists of tests.
    public static let testsListed = 1000

    public struct FlakyCase: Codable, Sendable, Equatable {
        public var name: String
        public var reason: String

        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }
    }

    /// The task a report is compared with: the newest completed one of the same product name and tool name at
    /// the closest lower product version.
    public struct Baseline: Codable, Sendable, Equatable {
        public var taskId: Int64
        public var version: String

        public init(taskId: Int64, version: String) {
            self.taskId = taskId
            self.version = version
        }
    }

    /// Against the ``Baseline``: what changed since that version.
    public struct Comparison: Codable, Sendable, Equatable {
        public var baselineTaskId: Int64
        public var baselineVersion: String
        public var newlyFailing: [String]
        public var newlyPassing: [String]
        public var newCases: [String]
        public var missingCases: [String]

        public init(
            baselineTaskId: Int64,
            baselineVersion: String,
            newlyFailing: [String],
            newlyPassing: [String],
            newCases: [String],
            missingCases: [String]
        ) {
            self.baselineTaskId = baselineTaskId
            self.baselineVersion = baselineVersion
            self.newlyFailing = newlyFailing
            self.newlyPassing = newlyPassing
            self.newCases = newCases
            self.missingCases = missingCases
        }
    }

    public var taskId: Int64
    public var taskName: String
    public var state: TaskState
    public var product: ItemSummary
    public var tool: ItemSummary
    public var submittedBy: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var generatedAt: Date
    public var counts: CaseCounts
    /// passed / (passed + failed + error + timed_out); absent when none of those happened.
    public var passRate: Double?
    public var durations: Durations
    /// Wall time from the first lease to the last result.
    public var wallTimeMs: Int64?
    public var nodes: [NodeBreakdown]
    public var failures: [CaseEntry]
    public var slowest: [CaseEntry]
    public var passedOnRetry: [CaseEntry]
    public var flaky: [FlakyCase]
    public var baseline: Baseline?
    public var comparison: Comparison?
    public var reportUrl: String
    /// Tests summed over the final attempt of each case that read a JUnit XML result file; absent without tests.
    public var tests: TestCounts?
    /// passed / (passed + failed + error) over tests.
    public var testPassRate: Double?
    /// The first failing tests (failed or error), in case and file order; absent in reports older than tests.
    public var failedTests: [ReportTest]?
    public var failedTestsTotal: Int?
    /// Failing now, passed in the baseline (``Comparison``'s task); a test is its case name, class name and name.
    public var testsNewlyFailing: [ReportTest]?
    public var testsNewlyFailingTotal: Int?
    /// Passing now, failed in the baseline.
    public var testsNewlyPassing: [ReportTest]?
    public var testsNewlyPassingTotal: Int?
    /// Tests that failed and then passed on a retry, or passed and failed across the recent tasks.
    public var flakyTests: [FlakyTest]?

    public init(
        taskId: Int64,
        taskName: String,
        state: TaskState,
        product: ItemSummary,
        tool: ItemSummary,
        submittedBy: String,
        createdAt: Date,
        startedAt: Date?,
        finishedAt: Date?,
        generatedAt: Date,
        counts: CaseCounts,
        passRate: Double?,
        durations: Durations,
        wallTimeMs: Int64?,
        nodes: [NodeBreakdown],
        failures: [CaseEntry],
        slowest: [CaseEntry],
        passedOnRetry: [CaseEntry],
        flaky: [FlakyCase],
        baseline: Baseline? = nil,
        comparison: Comparison?,
        reportUrl: String
    ) {
        self.taskId = taskId
        self.taskName = taskName
        self.state = state
        self.product = product
        self.tool = tool
        self.submittedBy = submittedBy
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.generatedAt = generatedAt
        self.counts = counts
        self.passRate = passRate
        self.durations = durations
        self.wallTimeMs = wallTimeMs
        self.nodes = nodes
        self.failures = failures
        self.slowest = slowest
        self.passedOnRetry = passedOnRetry
        self.flaky = flaky
        self.baseline = baseline
        self.comparison = comparison
        self.reportUrl = reportUrl
    }
}

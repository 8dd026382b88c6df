import Foundation

/// A product or tool named in a task submission: by `id`, or by `name` and `version`.
public struct ItemReference: Codable, Sendable, Equatable {
    public var id: Int64?
    public var name: String?
    public var version: String?

    public init(id: Int64? = nil, name: String? = nil, version: String? = nil) {
        self.id = id
        self.name = name
        self.version = version
    }

    /// `NAME@VERSION`, split at the last `@` (names may contain one); `nil` when either part is empty.
    public init?(nameAtVersion text: String) {
        guard let at = text.lastIndex(of: "@") else { return nil }
        let name = String(text[..<at])
        let version = String(text[text.index(after: at)...])
        guard !name.isEmpty, !version.isEmpty else { return nil }
        self.init(name: name, version: version)
    }
}

/// Body of `POST /api/v1/tasks` (JSON form).
public struct TaskSubmission: Codable, Sendable {
    public var name: String?
    public var product: ItemReference
    public var tool: ItemReference
    public var cases: [String]
    public var priority: Int?
    public var caseTimeoutS: Int?
    public var maxInfraRetries: Int?
    /// Labels a node must all have to run the task's cases.
    public var labels: [String]?

    public init(
        name: String? = nil,
        product: ItemReference,
        tool: ItemReference,
        cases: [String],
        priority: Int? = nil,
        caseTimeoutS: Int? = nil,
        maxInfraRetries: Int? = nil,
        labels: [String]? = nil
    ) {
        self.name = name
        self.product = product
        self.tool = tool
        self.cases = cases
        self.priority = priority
        self.caseTimeoutS = caseTimeoutS
        self.maxInfraRetries = maxInfraRetries
        self.labels = labels
    }
}

/// Cases of a task per state.
public struct CaseCounts: Codable, Sendable, Equatable {
    public var queued = 0
    public var leased = 0
    public var running = 0
    public var passed = 0
    public var failed = 0
    public var error = 0
    public var skipped = 0
    public var timedOut = 0
    public var cancelled = 0
    public var total = 0

    public init() {}

    public subscript(state: CaseState) -> Int {
        get {
            switch state {
            case .queued: queued
            case .leased: leased
            case .running: running
            case .passed: passed
            case .failed: failed
            case .error: error
            case .skipped: skipped
            case .timedOut: timedOut
            case .cancelled: cancelled
            }
        }
        set {
            switch state {
            case .queued: queued = newValue
            case .leased: leased = newValue
            case .running: running = newValue
            case .passed: passed = newValue
            case .failed: failed = newValue
            case .error: error = newValue
            case .skipped: skipped = newValue
            case .timedOut: timedOut = newValue
            case .cancelled: cancelled = newValue
            }
        }
    }

    /// Cases that reached a terminal state.
    public var finished: Int { total - queued - leased - running }
}

/// A reference to a catalog item inside another object.
public struct ItemSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var version: String

    public init(id: Int64, name: String, version: String) {
        self.id = id
        self.name = name
        self.version = version
    }
}

public struct NodeSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String

    public init(id: Int64, name: String) {
        self.id = id
        self.name = name
    }
}

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

public struct CaseInfo: Codable, Sendable {
    public var id: Int64
    public var taskId: Int64
    public var ordinal: Int
    public var name: String
    public var state: CaseState
    public var node: NodeSummary?
    public var attempts: Int
    public var durationMs: Int64?
    public var exitCode: Int?
    public var message: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The tests of the case's final attempt, from its JUnit XML result file; absent when it reported none.
    public var tests: TestCounts?

    public init(
        id: Int64,
        taskId: Int64,
        ordinal: Int,
        name: String,
        state: CaseState,
        node: NodeSummary?,
        attempts: Int,
        durationMs: Int64?,
        exitCode: Int?,
        message: String?,
        startedAt: Date?,
        finishedAt: Date?,
        tests: TestCounts? = nil
    ) {
        self.id = id
        self.taskId = taskId
        self.ordinal = ordinal
        self.name = name
        self.state = state
        self.node = node
        self.attempts = attempts
        self.durationMs = durationMs
        self.exitCode = exitCode
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.tests = tests
    }
}

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

public struct CaseDetail: Codable, Sendable {
    public var `case`: CaseInfo
    public var task: TaskSummary
    public var runs: [CaseRun]
    /// When the log retention deleted the logs of the case's task.
    public var logsDeletedAt: Date?

    public init(case: CaseInfo, task: TaskSummary, runs: [CaseRun], logsDeletedAt: Date? = nil) {
        self.case = `case`
        self.task = task
        self.runs = runs
        self.logsDeletedAt = logsDeletedAt
    }
}

public struct TaskSummary: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var state: TaskState
    public var submittedBy: String?

    public init(id: Int64, name: String, state: TaskState, submittedBy: String? = nil) {
        self.id = id
        self.name = name
        self.state = state
        self.submittedBy = submittedBy
    }
}

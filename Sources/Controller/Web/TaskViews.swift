import Foundation
import WireProtocol

/// A task in a list: the dashboard's and the task list's rows.
struct TaskRow: Sendable {
    var id: Int64
    var name: String
    var product: String
    var tool: String
    var submittedBy: String
    var priority: Int
    var state: String
    var stateLabel: String
    var progress: ProgressView
    var created: String
    var createdISO: String
    var finished: String?
    /// The web report page, once the task has one.
    var reportHref: String?
    var passRate: String?
    /// The tests of the cases that reported tests, in a line.
    var tests: String?
    var testPassRate: String?

    init(_ task: TaskInfo) {
        id = task.id
        name = task.name
        product = "\(task.product.name) \(task.product.version)"
        tool = "\(task.tool.name) \(task.tool.version)"
        submittedBy = task.submittedBy
        priority = task.priority
        state = task.state.rawValue
        stateLabel = WebFormat.state(task.state.rawValue)
        progress = ProgressView(task.counts)
        created = WebFormat.time(task.createdAt)
        createdISO = WebFormat.timestamp(task.createdAt)
        finished = task.finishedAt.map(WebFormat.time)
        reportHref = task.reportUrl == nil ? nil : "/tasks/\(task.id)/report"
        let scored = task.counts.passed + task.counts.failed + task.counts.error + task.counts.timedOut
        passRate = scored == 0 ? nil : WebFormat.percent(Double(task.counts.passed) / Double(scored))
        tests = task.tests?.summary
        testPassRate = task.tests.map { WebFormat.percent($0.passRate) }
    }
}

/// A case in a task's case table.
struct CaseRow: Sendable {
    var id: Int64
    var ordinal: Int
    var name: String
    var state: String
    var stateLabel: String
    var node: NodeSummary?
    var duration: String
    var attempts: Int
    var message: String?

    init(_ info: CaseInfo) {
        id = info.id
        ordinal = info.ordinal
        name = info.name
        state = info.state.rawValue
        stateLabel = WebFormat.state(info.state.rawValue)
        node = info.node
        duration = WebFormat.duration(info.durationMs)
        attempts = info.attempts
        message = info.message.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Links between the pages of a list.
struct PageLinks: Sendable {
    var first: String?
    var previous: String?
    var next: String?

    var any: Bool { first != nil || previous != nil || next != nil }

    /// Links for a list at `base` whose cursor is the last id (or ordinal) of the page before. `dense` lists
    /// have every id (a task's case ordinals): there, the previous page is one page size back.
    static func make(
        base: String,
        query: [(String, String)],
        pagination: Pagination,
        nextCursor: String?,
        dense: Bool
    )
        -> PageLinks
    {
        let size = pagination.limit == Pagination.defaultLimit ? [] : [("limit", String(pagination.limit))]
        func link(_ cursor: Int64?) -> String {
            let items = query + size + (cursor.map { [("cursor", String($0))] } ?? [])
            guard !items.isEmpty else { return base }
            return base + "?" + items.map { "\($0.0)=\(WebRedirect.queryEscape($0.1))" }.joined(separator: "&")
        }
        var links = PageLinks()
        if let after = pagination.after, after > 0 {
            links.first = link(nil)
            if dense, after > Int64(pagination.limit) { links.previous = link(after - Int64(pagination.limit)) }
        }
        if let nextCursor, let cursor = Int64(nextCursor) { links.next = link(cursor) }
        return links
    }
}

/// A task's page: what it is, how far it got, and one page of its cases.
struct TaskPageView: Sendable {
    var task: TaskRow
    var productID: Int64
    var toolID: Int64
    var caseTimeout: String
    var maxInfraRetries: Int
    var started: String
    var finished: String
    var eta: String?
    var pendingReason: String?
    var cancellable: Bool
    /// The viewer may run the failed cases of this finished task again.
    var rerunnable: Bool
    /// The viewer may delete this finished task.
    var deletable: Bool
    var labels: [String]
    var rerunOf: Int64?
    /// Nothing on the page changes any more: the task ended and no case is still held by a node.
    var settled: Bool
    /// State filters above the case table.
    var filters: [PageTab]
    var stateFilter: String?
    var cases: [CaseRow]
    var pages: PageLinks
    var hasPages: Bool
    var events: String
    /// Failing tests and changes against the baseline, from the report.
    var tests: TaskTestsView?

    /// - Parameter viewer: who looks; the cancel, rerun and delete buttons are offered to those who may use them.
    /// - Parameter report: the task's report, for what it says about tests.
    init(
        _ info: TaskInfo,
        cases: Page<CaseInfo>,
        state: CaseState?,
        pagination: Pagination,
        viewer: Caller,
        report: TaskReport? = nil
    ) {
        task = TaskRow(info)
        productID = info.product.id
        toolID = info.tool.id
        caseTimeout = WebFormat.duration(Int64(info.caseTimeoutS) * 1000)
        maxInfraRetries = info.maxInfraRetries
        started = WebFormat.time(info.startedAt)
        finished = WebFormat.time(info.finishedAt)
        eta = info.state.isTerminal ? nil : WebFormat.eta(info.etaS)
        pendingReason = info.pendingReason
        let owned = viewer.mayOfferChanges(toTaskOf: info.submittedBy)
        cancellable = !info.state.isTerminal && owned
        settled = info.state.isTerminal && info.counts.leased + info.counts.running == 0
        let failing = info.counts.failed + info.counts.error + info.counts.timedOut + info.counts.cancelled
        rerunnable = settled && owned && failing > 0
        deletable = settled && owned
        labels = info.labels
        rerunOf = info.rerunOf
        let base = "/tasks/\(info.id)"
        filters =
            [PageTab(label: "all", count: info.counts.total, href: base, current: state == nil)]
            + ([.queued] + ProgressView.order).compactMap { candidate in
                let count = info.counts[candidate]
                guard count > 0 || candidate == state else { return nil }
                return PageTab(
                    label: WebFormat.state(candidate.rawValue),
                    count: count,
                    href: base + "?state=" + candidate.rawValue,
                    current: candidate == state
                )
            }
        stateFilter = state.map { WebFormat.state($0.rawValue) }
        self.cases = cases.items.map(CaseRow.init)
        let query = state.map { [("state", $0.rawValue)] } ?? []
        pages = PageLinks.make(base: base, query: query, pagination: pagination, nextCursor: cases.nextCursor, dense: state == nil)
        hasPages = pages.any
        var live = query
        if pagination.limit != Pagination.defaultLimit { live.append(("limit", String(pagination.limit))) }
        if let after = pagination.after { live.append(("cursor", String(after))) }
        events = "/events/tasks/\(info.id)" + (live.isEmpty ? "" : "?" + live.map { "\($0.0)=\($0.1)" }.joined(separator: "&"))
        tests = report.flatMap(TaskTestsView.init)
    }
}

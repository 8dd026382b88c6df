import Foundation
import WireProtocol

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
        var live = query
        if pagination.limit != Pagination.defaultLimit { live.append(("limit", String(pagination.limit))) }
        if let after = pagination.after { live.append(("cursor", String(after))) }
        events = "/events/tasks/\(info.id)" + (live.isEmpty ? "" : "?" + live.map { "\($0.0)=\($0.1)" }.joined(separator: "&"))
        tests = report.flatMap(TaskTestsView.init)
    }
}

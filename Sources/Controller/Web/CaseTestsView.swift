import Foundation
import WireProtocol

/// A case's tests on its page: counts, a filter by status, one page of tests, each with its output on demand.
struct CaseTestsView: Sendable {
    var summary: String
    var passRate: String
    var filters: [PageTab]
    var statusFilter: String?
    var rows: [TestRow]
    var pages: PageLinks

    init(caseID: Int64, counts: TestCounts, tests: Page<CaseTest>, status: TestStatus?, pagination: Pagination) {
        summary = counts.summary
        passRate = WebFormat.percent(counts.passRate)
        let base = "/cases/\(caseID)"
        filters =
            [PageTab(label: "all", count: counts.total, href: base + "#tests", current: status == nil)]
            + TestStatus.allCases.compactMap { candidate in
                guard counts[candidate] > 0 || candidate == status else { return nil }
                return PageTab(
                    label: candidate.rawValue,
                    count: counts[candidate],
                    href: base + "?status=\(candidate.rawValue)#tests",
                    current: candidate == status
                )
            }
        statusFilter = status?.rawValue
        rows = tests.items.map { TestRow($0, caseID: caseID) }
        let query = status.map { [("status", $0.rawValue)] } ?? []
        pages = PageLinks.make(base: base, query: query, pagination: pagination, nextCursor: tests.nextCursor, dense: status == nil)
    }
}

import Foundation
import WireProtocol

/// A case's tests on its page: counts, a filter by status, one page of tests, each with its output on demand.
struct CaseTestsView: Sendable {
    /// One test in the table.
    struct Row: Sendable {
        var n: Int
        var name: String
        var status: String
        var duration: String
        var message: String?
        var flaky: Bool
        /// The output as JSON, which the page's script shows in place.
        var outputHref: String
        /// The test's own page, with its output, for a browser without the script.
        var pageHref: String
    }

    var summary: String
    var passRate: String
    var filters: [PageTab]
    var statusFilter: String?
    var rows: [Row]
    var pages: PageLinks
    var hasPages: Bool

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
        rows = tests.items.map { test in
            Row(
                n: test.n,
                name: test.qualifiedName,
                status: test.status.rawValue,
                duration: WebFormat.duration(test.durationMs),
                message: test.message,
                flaky: test.flaky == true,
                outputHref: "/api/v1/cases/\(caseID)/tests/\(test.n)",
                pageHref: "/cases/\(caseID)/tests/\(test.n)"
            )
        }
        let query = status.map { [("status", $0.rawValue)] } ?? []
        pages = PageLinks.make(base: base, query: query, pagination: pagination, nextCursor: tests.nextCursor, dense: status == nil)
        hasPages = pages.any
    }
}

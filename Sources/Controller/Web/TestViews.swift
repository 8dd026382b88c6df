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

/// One test on a page of its own: what the case page shows of it, and its output.
struct TestPageView: Sendable {
    var caseID: Int64
    var caseName: String
    var taskID: Int64
    var taskName: String
    var n: Int
    var name: String
    var status: String
    var duration: String
    var message: String?
    var flaky: Bool
    var output: String?

    init(_ test: CaseTest, of detail: CaseDetail) {
        caseID = detail.case.id
        caseName = detail.case.name
        taskID = detail.task.id
        taskName = detail.task.name
        n = test.n
        name = test.qualifiedName
        status = test.status.rawValue
        duration = WebFormat.duration(test.durationMs)
        message = test.message
        flaky = test.flaky == true
        output = test.output.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// What a task page says about tests once the task has its report: failing tests and the changes against the
/// baseline, a few of each, with the report for the rest.
struct TaskTestsView: Sendable {
    /// A test named on the page, linked to its case.
    struct Row: Sendable {
        var caseHref: String
        var caseName: String
        var name: String
        var status: String
        var message: String?
    }

    static let shown = 20

    var failed: [Row]
    /// How many more the report has; `nil` when none (as every count here, for the templates).
    var failedMore: Int?
    var baselineVersion: String?
    var newlyFailing: [Row]
    var newlyFailingMore: Int?
    var newlyPassing: [Row]
    var newlyPassingMore: Int?
    var flaky: Int?
    var reportHref: String

    /// `nil` when the report has no tests.
    init?(_ report: TaskReport) {
        guard report.tests != nil else { return nil }
        func rows(_ tests: [ReportTest]?) -> [Row] {
            (tests ?? []).prefix(Self.shown).map {
                Row(caseHref: "/cases/\($0.caseId)", caseName: $0.case, name: $0.qualifiedName, status: $0.status.rawValue, message: $0.message)
            }
        }
        func more(_ total: Int?, _ shown: [Row]) -> Int? {
            let more = (total ?? 0) - shown.count
            return more > 0 ? more : nil
        }
        failed = rows(report.failedTests)
        failedMore = more(report.failedTestsTotal, failed)
        baselineVersion = report.comparison?.baselineVersion
        newlyFailing = rows(report.testsNewlyFailing)
        newlyFailingMore = more(report.testsNewlyFailingTotal, newlyFailing)
        newlyPassing = rows(report.testsNewlyPassing)
        newlyPassingMore = more(report.testsNewlyPassingTotal, newlyPassing)
        flaky = report.flakyTests.flatMap { $0.isEmpty ? nil : $0.count }
        reportHref = "/tasks/\(report.taskId)/report#tests"
    }
}

import Foundation
import WireProtocol

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

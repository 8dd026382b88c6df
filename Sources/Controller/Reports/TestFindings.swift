import Foundation
import WireProtocol

/// The test-level part of a report, from what ``TestFindingsStore`` read: counts, failing tests, changes against
/// the baseline, flaky tests. Pure, so what a report says can be checked without a database.
struct TestFindings: Sendable, Equatable {
    /// A test across tasks: its case's name, its class name and its name.
    struct Identity: Hashable, Sendable {
        var `case`: String
        var classname: String
        var name: String
    }

    var counts: TestCounts?
    var failed: [ReportTest] = []
    var newlyFailing: [ReportTest] = []
    var newlyFailingTotal = 0
    var newlyPassing: [ReportTest] = []
    var newlyPassingTotal = 0
    /// Passed after failing within its run (the tool reran it).
    var rerun: [Identity] = []
    /// Failed on an earlier attempt of its case, passed on the final one.
    var retried: [Identity] = []
    /// Passed and failed across the recent tasks of the product and tool.
    var flipped: [Identity] = []
    /// How many recent tasks `flipped` looked at.
    var window = 5

    /// The report with these findings; a task without tests gets empty lists and no counts.
    func apply(to report: inout TaskReport) {
        report.tests = counts
        report.testPassRate = counts?.passRate
        report.failedTests = Array(failed.prefix(TaskReport.testsListed))
        report.failedTestsTotal = counts.map { $0.failed + $0.error } ?? 0
        report.testsNewlyFailing = Array(newlyFailing.prefix(TaskReport.testsListed))
        report.testsNewlyFailingTotal = newlyFailingTotal
        report.testsNewlyPassing = Array(newlyPassing.prefix(TaskReport.testsListed))
        report.testsNewlyPassingTotal = newlyPassingTotal
        report.flakyTests = flaky
    }

    /// Each flaky test once, with the first reason that applies: a rerun, a retry, then flips.
    var flaky: [FlakyTest] {
        var seen = Set<Identity>()
        var out: [FlakyTest] = []
        let reasons = [
            (rerun, "passed on a rerun after failing"),
            (retried, "failed on an earlier attempt of its case, passed on the last"),
            (flipped, "passed and failed across the last \(window) tasks of this product and tool"),
        ]
        for (identities, reason) in reasons {
            for identity in identities where out.count < TaskReport.testsListed && seen.insert(identity).inserted {
                out.append(FlakyTest(case: identity.case, classname: identity.classname, name: identity.name, reason: reason))
            }
        }
        return out
    }
}

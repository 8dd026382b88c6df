import Foundation
import WireProtocol

extension HTMLReportRenderer {
    /// How many tests each list of the HTML report shows; the JSON report has up to ``TaskReport/testsListed``.
    static let testsShown = 200

    /// The report's tests: counts, failing tests, changes against the baseline and flaky tests; nothing for a
    /// task whose cases reported no tests.
    static func testsSection(_ report: TaskReport) -> String {
        guard let tests = report.tests else { return "" }
        let e = JUnitRenderer.escape
        let rate = tests.passRate.map { String(format: "%.1f %%", $0 * 100) } ?? "—"
        var html = """
            <h2 id="tests">Tests</h2>
            <div class="cards">
            <div><div class="big \(tests.passRate.map { $0 >= 1 ? "ok" : "bad" } ?? "")">\(rate)</div><div class="muted">test pass rate</div></div>
            <div><div class="big">\(tests.total)</div><div class="muted">tests</div></div>
            </div>
            <table><tr><th class="num">passed</th><th class="num">failed</th><th class="num">error</th><th class="num">skipped</th></tr>
            <tr><td class="num">\(tests.passed)</td><td class="num">\(tests.failed)</td><td class="num">\(tests.error)</td><td class="num">\(tests.skipped)</td></tr></table>

            """
        let failedTotal = report.failedTestsTotal ?? 0
        html += "<h3>Failed tests (\(failedTotal))</h3>\n"
        html += testTable(report.failedTests ?? [], total: failedTotal, emptyText: "No test failed.")
        if let comparison = report.comparison {
            html += "<h3>Tests compared with version \(e(comparison.baselineVersion))</h3>\n"
            html += "<h4 class=\"bad\">Newly failing (\(report.testsNewlyFailingTotal ?? 0))</h4>\n"
            html += testTable(report.testsNewlyFailing ?? [], total: report.testsNewlyFailingTotal ?? 0, emptyText: "None.")
            html += "<h4 class=\"ok\">Newly passing (\(report.testsNewlyPassingTotal ?? 0))</h4>\n"
            html += testTable(report.testsNewlyPassing ?? [], total: report.testsNewlyPassingTotal ?? 0, emptyText: "None.")
        }
        let flaky = report.flakyTests ?? []
        html += "<h3>Flaky tests (\(flaky.count))</h3>\n"
        if flaky.isEmpty {
            html += "<p class=\"muted\">None.</p>\n"
        } else {
            html += "<ul>"
            for test in flaky.prefix(testsShown) {
                html += "<li><code>\(e(test.case)) › \(e(test.qualifiedName))</code> — \(e(test.reason))</li>"
            }
            html += "</ul>\n"
        }
        return html
    }

    private static func testTable(_ tests: [ReportTest], total: Int, emptyText: String) -> String {
        let e = JUnitRenderer.escape
        guard !tests.isEmpty else { return "<p class=\"muted\">\(emptyText)</p>\n" }
        var html = "<table><tr><th>case</th><th>test</th><th>status</th><th>message</th></tr>\n"
        for test in tests.prefix(testsShown) {
            html += "<tr><td><a href=\"/cases/\(test.caseId)\">\(e(test.case))</a></td>"
            html += "<td><code>\(e(test.qualifiedName))</code></td><td>\(test.status.rawValue)</td>"
            html += "<td>\(e(test.message ?? ""))</td></tr>\n"
        }
        html += "</table>\n"
        if total > min(tests.count, testsShown) {
            html += "<p class=\"muted\">\(total - min(tests.count, testsShown)) more; the JUnit XML has every test.</p>\n"
        }
        return html
    }
}

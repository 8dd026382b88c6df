import Foundation
import WireProtocol

/// A report as one self-contained HTML page: summary, counts, per-node table, durations, slowest cases,
/// failures with log links, comparison and flaky cases.
enum HTMLReportRenderer {
    /// The report as a standalone HTML document with its own styles.
    static func render(_ report: TaskReport) -> String {
        let e = JUnitRenderer.escape
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Report — \(e(report.taskName))</title>
            <style>
            :root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --muted: #6e7781; }
            body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; }
            h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
            .muted { color: var(--muted); } .ok { color: var(--ok); } .bad { color: var(--bad); }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #8884; }
            td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
            .big { font-size: 2rem; font-weight: 600; } .cards { display: flex; gap: 2rem; flex-wrap: wrap; }
            code { font-size: .9em; }
            </style></head><body>
            \(content(report, links: true))</body></html>

            """
    }

    /// The report's content without a document around it, for embedding in a page whose stylesheet has the
    /// same classes (`muted`, `ok`, `bad`, `num`, `big`, `cards`); `links` adds the links to the JSON and JUnit
    /// forms, which a page with links of its own leaves out.
    static func content(_ report: TaskReport, links: Bool) -> String {
        let e = JUnitRenderer.escape
        let rate = report.passRate.map { String(format: "%.1f %%", $0 * 100) } ?? "—"
        var html = """
            <h1>\(e(report.taskName))</h1>
            <p class="muted">Task \(report.taskId) · \(e(report.product.name)) \(e(report.product.version)) with \(e(report.tool.name)) \(e(report.tool.version)) · submitted by \(e(report.submittedBy)) · \(report.state.rawValue)</p>
            \(links ? "<p><a href=\"\(e(report.reportUrl))\">JSON</a> · <a href=\"\(e(report.reportUrl)).xml\">JUnit XML</a></p>" : "")
            <div class="cards">
            <div><div class="big \(report.passRate.map { $0 >= 1 ? "ok" : "bad" } ?? "")">\(rate)</div><div class="muted">pass rate</div></div>
            <div><div class="big">\(report.counts.total)</div><div class="muted">cases</div></div>
            <div><div class="big">\(duration(report.wallTimeMs))</div><div class="muted">wall time</div></div>
            </div>
            <h2>Counts</h2><table><tr>
            """
        let states: [CaseState] = [.passed, .failed, .error, .timedOut, .skipped, .cancelled]
        html += states.map { "<th class=\"num\">\($0.rawValue)</th>" }.joined() + "</tr><tr>"
        html += states.map { "<td class=\"num\">\(report.counts[$0])</td>" }.joined() + "</tr></table>\n"
        html += """
            <h2>Durations</h2><table><tr><th class="num">sum</th><th class="num">median</th><th class="num">p95</th><th class="num">max</th></tr>
            <tr><td class="num">\(duration(report.durations.sumMs))</td><td class="num">\(duration(report.durations.medianMs))</td><td class="num">\(duration(report.durations.p95Ms))</td><td class="num">\(duration(report.durations.maxMs))</td></tr></table>
            <h2>Nodes</h2>
            """
        if report.nodes.isEmpty {
            html += "<p class=\"muted\">No case ran on a node.</p>\n"
        } else {
            html +=
                "<table><tr><th>node</th><th class=\"num\">cases</th><th class=\"num\">passed</th><th class=\"num\">failed</th><th class=\"num\">error</th><th class=\"num\">timed out</th><th class=\"num\">busy</th></tr>\n"
            for node in report.nodes {
                html +=
                    "<tr><td>\(e(node.node.name))</td><td class=\"num\">\(node.counts.total)</td><td class=\"num\">\(node.counts.passed)</td><td class=\"num\">\(node.counts.failed)</td><td class=\"num\">\(node.counts.error)</td><td class=\"num\">\(node.counts.timedOut)</td><td class=\"num\">\(duration(node.durationMs))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += "<h2>Failures (\(report.failures.count))</h2>\n"
        html += caseTable(report.failures, emptyText: "No failures.", showMessage: true)
        html += testsSection(report)
        html += "<h2>Slowest cases</h2>\n" + caseTable(report.slowest, emptyText: "No durations.", showMessage: false)
        if let comparison = report.comparison {
            html +=
                "<h2>Compared with version \(e(comparison.baselineVersion)) "
                + "(<a href=\"/tasks/\(comparison.baselineTaskId)\">task \(comparison.baselineTaskId)</a>)</h2>\n<ul>"
            html += list("Newly failing", comparison.newlyFailing, cssClass: "bad")
            html += list("Newly passing", comparison.newlyPassing, cssClass: "ok")
            html += list("New cases", comparison.newCases, cssClass: "")
            html += list("Missing cases", comparison.missingCases, cssClass: "")
            html += "</ul>\n"
        } else {
            html += "<h2>Comparison</h2><p class=\"muted\">No completed task of a lower version of this product with this tool.</p>\n"
        }
        html += "<h2>Flaky cases (\(report.flaky.count))</h2>\n"
        if report.flaky.isEmpty {
            html += "<p class=\"muted\">None.</p>\n"
        } else {
            html += "<ul>" + report.flaky.map { "<li><code>\(e($0.name))</code> — \(e($0.reason))</li>" }.joined() + "</ul>\n"
        }
        html += "<p class=\"muted\">Generated \(WireJSON.formatTimestamp(report.generatedAt)) by Testfleet.</p>\n"
        return html
    }

    private static func caseTable(_ cases: [TaskReport.CaseEntry], emptyText: String, showMessage: Bool) -> String {
        let e = JUnitRenderer.escape
        guard !cases.isEmpty else { return "<p class=\"muted\">\(emptyText)</p>\n" }
        var html = "<table><tr><th>case</th><th>state</th><th>node</th><th class=\"num\">duration</th>"
        html += showMessage ? "<th>message</th><th>log</th></tr>\n" : "</tr>\n"
        for item in cases {
            html += "<tr><td><code>\(e(item.name))</code></td><td>\(item.state.rawValue)</td><td>\(e(item.node?.name ?? "—"))</td>"
            html += "<td class=\"num\">\(duration(item.durationMs))</td>"
            if showMessage {
                html += "<td>\(e(item.message ?? item.exitCode.map { "exit code \($0)" } ?? ""))</td>"
                html += "<td><a href=\"\(e(item.logUrl))\">log</a></td>"
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }

    private static func list(_ title: String, _ names: [String], cssClass: String) -> String {
        let e = JUnitRenderer.escape
        let shown = names.prefix(200).map { "<code>\(e($0))</code>" }.joined(separator: ", ")
        let more = names.count > 200 ? " and \(names.count - 200) more" : ""
        return "<li><strong class=\"\(cssClass)\">\(title) (\(names.count))</strong>\(names.isEmpty ? "" : ": " + shown + more)</li>"
    }

    /// Milliseconds as a short human duration.
    static func duration(_ ms: Int64?) -> String {
        guard let ms else { return "—" }
        if ms < 1000 { return "\(ms) ms" }
        let seconds = Double(ms) / 1000
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \(total % 3600 / 60) min"
    }
}

import Foundation
import WireProtocol

/// A report as JUnit XML: one `testsuite`, one `testcase` per case, log tails in `system-out`.
enum JUnitRenderer {
    struct Case: Sendable {
        var name: String
        var state: CaseState
        var durationMs: Int64?
        var message: String?
        var exitCode: Int?
        var node: String?
        var logTail: String?
    }

    static func render(report: TaskReport, cases: [Case]) -> String {
        let seconds = { (ms: Int64?) in String(format: "%.3f", Double(ms ?? 0) / 1000) }
        let failures = report.counts.failed + report.counts.timedOut
        let errors = report.counts.error
        let skipped = report.counts.skipped + report.counts.cancelled
        let suiteName = "\(report.product.name) \(report.product.version) / \(report.tool.name) \(report.tool.version)"
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += "<testsuites name=\"\(escape(report.taskName))\" tests=\"\(report.counts.total)\" failures=\"\(failures)\" "
        out += "errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds(report.durations.sumMs))\">\n"
        out += "  <testsuite name=\"\(escape(suiteName))\" id=\"\(report.taskId)\" tests=\"\(report.counts.total)\" "
        out += "failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(seconds(report.durations.sumMs))\""
        if let started = report.startedAt { out += " timestamp=\"\(WireJSON.formatTimestamp(started))\"" }
        out += ">\n"
        out += "    <properties>\n"
        out += "      <property name=\"testfleet.task\" value=\"\(report.taskId)\"/>\n"
        out += "      <property name=\"testfleet.product\" value=\"\(escape(report.product.name)) \(escape(report.product.version))\"/>\n"
        out += "      <property name=\"testfleet.tool\" value=\"\(escape(report.tool.name)) \(escape(report.tool.version))\"/>\n"
        out += "    </properties>\n"
        let className = escape(report.tool.name)
        for item in cases {
            out += "    <testcase name=\"\(escape(item.name))\" classname=\"\(className)\" time=\"\(seconds(item.durationMs))\">\n"
            let message = escape(item.message ?? item.exitCode.map { "exit code \($0)" } ?? item.state.rawValue)
            switch item.state {
            case .failed:
                out += "      <failure message=\"\(message)\" type=\"failed\"/>\n"
            case .timedOut:
                out += "      <failure message=\"\(message)\" type=\"timed_out\"/>\n"
            case .error:
                out += "      <error message=\"\(message)\" type=\"error\"/>\n"
            case .skipped, .cancelled, .queued, .leased, .running:
                out += "      <skipped message=\"\(message)\"/>\n"
            case .passed:
                break
            }
            if let tail = item.logTail, !tail.isEmpty {
                out += "      <system-out>\(escape(tail))</system-out>\n"
            }
            out += "    </testcase>\n"
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// Escapes text for XML and drops characters XML 1.0 cannot hold.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value): break
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

import Foundation
import WireProtocol

/// A report as JUnit XML. Cases that reported tests are each a `testsuite` named after the case, holding their
/// real `testcase`s with failures and output; the others are one `testcase` each in the task's own suite, with
/// the tail of their log in `system-out`.
enum JUnitRenderer {
    /// A case as the report lists it, with what only the XML carries.
    @dynamicMemberLookup
    struct Case: Sendable {
        var entry: TaskReport.CaseEntry
        var logTail: String?
        /// The tests of the case's final attempt, with output for the failing ones.
        var tests: [CaseTest] = []

        subscript<Value>(dynamicMember field: KeyPath<TaskReport.CaseEntry, Value>) -> Value { entry[keyPath: field] }
    }

    static func render(report: TaskReport, cases: [Case]) -> String {
        let plain = cases.filter(\.tests.isEmpty)
        var main = Counts()
        for item in plain { main.add(status(of: item.state)) }
        var all = main
        var suites = ""
        for item in cases where !item.tests.isEmpty {
            let (suite, counts) = suite(item)
            suites += suite
            all = all + counts
        }
        let suiteName = "\(report.product.name) \(report.product.version) / \(report.tool.name) \(report.tool.version)"
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += "<testsuites name=\"\(escape(report.taskName))\" \(all.attributes) time=\"\(seconds(report.durations.sumMs))\">\n"
        out += "  <testsuite name=\"\(escape(suiteName))\" id=\"\(report.taskId)\" \(main.attributes)"
        out += " time=\"\(seconds(plain.reduce(0) { $0 + ($1.durationMs ?? 0) }))\""
        if let started = report.startedAt { out += " timestamp=\"\(WireJSON.formatTimestamp(started))\"" }
        out += ">\n"
        out += "    <properties>\n"
        out += "      <property name=\"testfleet.task\" value=\"\(report.taskId)\"/>\n"
        out += "      <property name=\"testfleet.product\" value=\"\(escape(report.product.name)) \(escape(report.product.version))\"/>\n"
        out += "      <property name=\"testfleet.tool\" value=\"\(escape(report.tool.name)) \(escape(report.tool.version))\"/>\n"
        out += "    </properties>\n"
        let className = escape(report.tool.name)
        for item in plain {
            out += "    <testcase name=\"\(escape(item.name))\" classname=\"\(className)\" time=\"\(seconds(item.durationMs))\">\n"
            out += outcome(item)
            if let tail = item.logTail, !tail.isEmpty {
                out += "      <system-out>\(escape(tail))</system-out>\n"
            }
            out += "    </testcase>\n"
        }
        out += "  </testsuite>\n" + suites + "</testsuites>\n"
        return out
    }

    /// A case with tests as its own suite. A case that failed though none of its tests did (a non-zero exit
    /// code, a timeout) gets one more `testcase` that says so, so the suite does not read as passed.
    private static func suite(_ item: Case) -> (String, Counts) {
        var counts = Counts()
        var body = ""
        for test in item.tests {
            counts.add(test.status)
            body += "    <testcase name=\"\(escape(test.name))\" classname=\"\(escape(test.classname))\" time=\"\(seconds(test.durationMs))\""
            let message = escape(test.message ?? "")
            let output = test.output.map { escape($0) } ?? ""
            switch test.status {
            case .passed: body += "/>\n"
            case .skipped: body += ">\n      <skipped message=\"\(message)\"/>\n    </testcase>\n"
            case .failed: body += ">\n      <failure message=\"\(message)\" type=\"failed\">\(output)</failure>\n    </testcase>\n"
            case .error: body += ">\n      <error message=\"\(message)\" type=\"error\">\(output)</error>\n    </testcase>\n"
            }
        }
        if status(of: item.state).isFailing && !item.tests.contains(where: \.status.isFailing) {
            counts.add(status(of: item.state))
            body += "    <testcase name=\"\(escape(item.name))\" classname=\"testfleet.case\" time=\"\(seconds(item.durationMs))\">\n"
            body += outcome(item) + "    </testcase>\n"
        }
        let head = "  <testsuite name=\"\(escape(item.name))\" \(counts.attributes) time=\"\(seconds(item.durationMs))\">\n"
        return (head + body + "  </testsuite>\n", counts)
    }

    /// How JUnit counts a case: timed out is a failure; cancelled and unfinished ones are skipped.
    private static func status(of state: CaseState) -> TestStatus {
        switch state {
        case .passed: .passed
        case .failed, .timedOut: .failed
        case .error: .error
        case .skipped, .cancelled, .queued, .leased, .running: .skipped
        }
    }

    /// The element that says how a case without tests ended; nothing when it passed.
    private static func outcome(_ item: Case) -> String {
        let message = escape(item.message ?? item.exitCode.map { "exit code \($0)" } ?? item.state.rawValue)
        switch item.state {
        case .failed: return "      <failure message=\"\(message)\" type=\"failed\"/>\n"
        case .timedOut: return "      <failure message=\"\(message)\" type=\"timed_out\"/>\n"
        case .error: return "      <error message=\"\(message)\" type=\"error\"/>\n"
        case .skipped, .cancelled, .queued, .leased, .running: return "      <skipped message=\"\(message)\"/>\n"
        case .passed: return ""
        }
    }

    /// Test cases per JUnit outcome, as a suite's attributes.
    private struct Counts {
        var tests = 0
        var failures = 0
        var errors = 0
        var skipped = 0

        mutating func add(_ status: TestStatus) {
            tests += 1
            switch status {
            case .failed: failures += 1
            case .error: errors += 1
            case .skipped: skipped += 1
            case .passed: break
            }
        }

        static func + (lhs: Counts, rhs: Counts) -> Counts {
            Counts(
                tests: lhs.tests + rhs.tests,
                failures: lhs.failures + rhs.failures,
                errors: lhs.errors + rhs.errors,
                skipped: lhs.skipped + rhs.skipped
            )
        }

        var attributes: String { "tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\"" }
    }

    private static func seconds(_ ms: Int64?) -> String { String(format: "%.3f", Double(ms ?? 0) / 1000) }

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

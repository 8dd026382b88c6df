import ControllerClient
import Foundation
import WireProtocol

/// The end of a wait: a summary with the failing cases on standard output, the JUnit XML when asked, and
/// the exit status the task stands for.
struct TaskResults {
    let client: ControllerClient

    /// How many failing cases the summary names.
    static let failuresShown = 20

    func finish(_ task: TaskInfo, junit: String?) async throws -> ExitStatus {
        let report = try await self.report(taskID: task.id)
        Console.out(Self.summary(task: task, report: report, server: client.baseURL))
        if let junit {
            let xml = try await client.send(.GET, "/api/v1/tasks/\(task.id)/report.xml")
            guard xml.status == 200 else { throw ClientError(answer: xml) }
            try OutputFile.write(xml.body, to: junit)
            if junit != "-" { Console.note("JUnit XML written to \(junit)") }
        }
        return TaskVerdict.status(of: task)
    }

    /// The report, which the controller writes as the last case ends; a moment's grace for a replica that
    /// answers before the commit is visible to it.
    func report(taskID: Int64) async throws -> TaskReport? {
        for attempt in 0..<10 {
            do {
                return try await client.call(.GET, "/api/v1/tasks/\(taskID)/report", as: TaskReport.self)
            } catch let error as ClientError where error.status == 404 {
                if attempt == 9 { return nil }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        return nil
    }

    static func summary(task: TaskInfo, report: TaskReport?, server: String) -> String {
        var lines = ["task \(task.id) \(task.state.rawValue): \(Format.counts(task.counts))"]
        if let report {
            var figures = "pass rate \(Format.percent(report.passRate))"
            if let wall = report.wallTimeMs { figures += ", wall time \(Format.duration(milliseconds: wall))" }
            lines.append(figures)
            if let tests = report.tests {
                lines.append(tests.summary + ", test pass rate \(Format.percent(report.testPassRate))")
            }
            if !report.failures.isEmpty {
                lines.append("failing cases:")
                for entry in report.failures.prefix(failuresShown) {
                    var line = "  \(entry.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(entry.name)"
                    if let node = entry.node { line += " on \(node.name)" }
                    if let message = entry.message, !message.isEmpty { line += ": " + message.prefix(200) }
                    lines.append(line)
                }
                if report.failures.count > failuresShown {
                    lines.append("  … and \(report.failures.count - failuresShown) more (testfleet report \(task.id))")
                }
            }
            lines += failedTests(report, taskID: task.id)
        }
        lines.append("task page: \(server)/tasks/\(task.id)")
        return lines.joined(separator: "\n")
    }

    /// The failing tests: `case › classname.name: message`.
    static func failedTests(_ report: TaskReport, taskID: Int64) -> [String] {
        let tests = report.failedTests ?? []
        guard !tests.isEmpty else { return [] }
        var lines = ["failed tests:"]
        for test in tests.prefix(failuresShown) {
            var line = "  \(test.case) › \(test.qualifiedName)"
            if test.status == .error { line += " (error)" }
            if let message = test.message, !message.isEmpty { line += ": " + message.prefix(200) }
            lines.append(line)
        }
        let total = report.failedTestsTotal ?? tests.count
        if total > failuresShown { lines.append("  … and \(total - failuresShown) more (testfleet report \(taskID))") }
        return lines
    }
}

import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Loads what a report needs, stores the report, and sets the product's test result.
struct ReportStore: Sendable {
    let logger: Logger
    /// How many recent runs of a case are looked at for flips between passing and failing.
    var flakyWindow = 5

    /// Builds and stores the report of an ended task, unless it has one.
    func write(taskID: Int64, transaction: Transaction) async throws {
        let exists =
            try await transaction.query(
                "SELECT EXISTS (SELECT 1 FROM reports WHERE task_id = \(taskID))"
            ).collect(Bool.self).first ?? false
        if exists { return }
        guard
            let row = try await transaction.query(
                """
                SELECT \(unescaped: TaskRepository.taskColumns) \(unescaped: TaskRepository.taskJoins)
                WHERE t.id = \(taskID)
                """
            ).first()
        else { return }
        let task = try TaskRepository.task(row)
        var cases: [TaskReport.CaseEntry] = []
        var handBacks: [Int64: Int] = [:]
        cases.reserveCapacity(task.counts.total)
        for try await row in try await transaction.query(
            """
            SELECT \(unescaped: CaseEntryColumns.sql),
                CASE WHEN k.state = 'passed' AND k.attempts > 1 THEN \(unescaped: EndingSQL.handBacks(of: "k.id")) ELSE 0 END
            FROM cases k LEFT JOIN nodes n ON n.id = k.node_id WHERE k.task_id = \(taskID) ORDER BY k.ordinal
            """
        ) {
            let columns = row.makeRandomAccess()
            let entry = try CaseEntryColumns.entry(columns)
            cases.append(entry)
            let handedBack = try columns[CaseEntryColumns.count].decode(Int.self)
            if handedBack > 0 { handBacks[entry.caseId] = handedBack }
        }
        let baseline = try await baseline(for: task, transaction: transaction)
        let recent = try await recentTasks(like: task, transaction: transaction)
        let builder = ReportBuilder(
            task: task,
            cases: cases,
            handBacks: handBacks,
            baseline: baseline,
            flippedCases: try await flippedCases(for: task, recent: recent, transaction: transaction),
            generatedAt: Date()
        )
        var report = builder.build()
        try await TestFindingsStore(window: flakyWindow)
            .load(task: task, baselineTaskID: baseline?.taskID, recentTaskIDs: recent, transaction: transaction)
            .apply(to: &report)
        let body = String(decoding: try WireJSON.encoder().encode(report), as: UTF8.self)
        try await transaction.query(
            """
            INSERT INTO reports (task_id, total, passed, failed, errored, skipped, timed_out, cancelled, pass_rate,
                duration_sum_ms, duration_median_ms, duration_p95_ms, duration_max_ms, report_url, body)
            VALUES (\(taskID), \(report.counts.total), \(report.counts.passed), \(report.counts.failed),
                \(report.counts.error), \(report.counts.skipped), \(report.counts.timedOut), \(report.counts.cancelled),
                \(report.passRate), \(report.durations.sumMs), \(report.durations.medianMs), \(report.durations.p95Ms),
                \(report.durations.maxMs), \(report.reportUrl), \(body)::jsonb)
            ON CONFLICT (task_id) DO NOTHING
            """
        )
        if task.state == .completed, let passRate = report.passRate {
            let result = TestResultInput(passRate: passRate, reportUrl: report.reportUrl, tests: report.tests)
            try await transaction.query(
                CatalogRepository.insertTestResult(
                    productID: task.product.id,
                    result,
                    source: "testfleet task \(taskID)",
                    taskID: taskID
                )
            )
        }
    }

    /// The newest completed task of the same product name and tool name at the closest lower product version in
    /// natural order (``VersionOrder``).
    private func baseline(for task: TaskInfo, transaction: Transaction) async throws -> ReportBuilder.Baseline? {
        let versions = try await transaction.query(
            """
            SELECT DISTINCT p.version FROM products p
            WHERE p.name = \(task.product.name) AND p.version <> \(task.product.version) AND EXISTS (
                SELECT 1 FROM tasks t JOIN tools tl ON tl.id = t.tool_id
                WHERE t.product_id = p.id AND tl.name = \(task.tool.name) AND t.state = 'completed')
            """
        ).collect(String.self)
        guard let version = VersionOrder.closestLower(than: task.product.version, in: versions),
            let baselineID = try await transaction.query(
                """
                SELECT t.id FROM tasks t JOIN products p ON p.id = t.product_id JOIN tools tl ON tl.id = t.tool_id
                WHERE p.name = \(task.product.name) AND p.version = \(version) AND tl.name = \(task.tool.name)
                  AND t.state = 'completed'
                ORDER BY t.finished_at DESC, t.id DESC LIMIT 1
                """
            ).collect(Int64.self).first
        else { return nil }
        var states: [String: CaseState] = [:]
        for try await (name, state) in try await transaction.query(
            "SELECT name, state FROM cases WHERE task_id = \(baselineID)"
        ).decode((String, String).self) {
            states[name] = CaseState(rawValue: state)
        }
        return .init(taskID: baselineID, version: version, states: states)
    }

    /// Case names of the task that both passed and failed across the last runs of the same product name and tool
    /// name.
    ///
    /// The task's names are matched by a set operation, whose cost grows with the number of cases whatever the
    /// planner believes: a task's cases are often newer than the table's statistics, and the semi-join planned
    /// for the few rows they promised compared every case with every case (37 s for 20,000 cases, in the
    /// transaction that ends the task).
    private func flippedCases(for task: TaskInfo, recent: [Int64], transaction: Transaction) async throws -> [String] {
        try await transaction.query(
            """
            (SELECT name FROM cases WHERE task_id = ANY(\(recent)) AND state IN ('passed', 'failed')
             GROUP BY name HAVING count(DISTINCT state) > 1)
            INTERSECT
            SELECT name FROM cases WHERE task_id = \(task.id)
            """
        ).collect(String.self)
    }

    /// The last ``flakyWindow`` tasks of the same product name and tool name that completed, and the task itself:
    /// the runs that flipped cases and tests are looked for in.
    private func recentTasks(like task: TaskInfo, transaction: Transaction) async throws -> [Int64] {
        try await transaction.query(
            """
            SELECT t.id FROM tasks t JOIN products p ON p.id = t.product_id JOIN tools tl ON tl.id = t.tool_id
            WHERE p.name = \(task.product.name) AND tl.name = \(task.tool.name)
              AND (t.state = 'completed' OR t.id = \(task.id))
            ORDER BY t.id DESC LIMIT \(flakyWindow)
            """
        ).collect(Int64.self)
    }
}

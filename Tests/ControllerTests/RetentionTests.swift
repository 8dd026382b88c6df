import ControllerClient
import Foundation
import PostgresNIO
import Testing
import WireProtocol

@testable import testfleet_controller

/// The retention sweep with periods of a second, against a real agent.
@Suite("Retention", .serialized)
struct RetentionTests {
    /// One second, in days.
    static let second = 1.0 / 86400

    func count(_ controller: TestController, _ sql: String) async throws -> Int {
        try await controller.services.database.query(PostgresQuery(unsafeSQL: sql)).collect(Int.self).first ?? -1
    }

    @Test("finished tasks past retention_days go with their cases, runs, logs and report; history keeps its row")
    func tasksSwept() async throws {
        try await withController(
            .set {
                $0.retentionDays = Self.second
                $0.retentionIntervalSeconds = 0.2
            }
        ) { controller in
            let fixture = try await Fixture.make(controller, script: "[ \"$1\" = slow ] && exec sleep 120\necho \"ran $1\"")
            try await withAgent(controller, name: "keeper", products: [fixture.inventory], slots: 2) { agent in
                // Still running when the other has long passed its retention period: it stays.
                let running = try await controller.submit(fixture.submission(["slow"], name: "running"))
                _ = try await controller.waitForCase(try await controller.cases(running.id)[0].id) { $0.case.state == .running }
                // More cases than one batch deletes.
                let old = try await controller.submit(fixture.submission((1...(RetentionSweep.batchSize + 20)).map { "c\($0)" }, name: "old"))
                // It is swept a second after it completes, maybe before a poll sees it completed: the history row and
                // the sweep's own figures show that all of its cases passed.
                try await waitUntil("the old task completes and is deleted", timeout: 180) {
                    try await controller.admin.request(.GET, "/api/v1/tasks/\(old.id)").status == 410
                }
                let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(old.id)/report")
                #expect(report.status == 410 && report.text.contains("task \(old.id) was deleted"), "\(report.status) \(report.text)")
                let history = try await controller.admin.request(.GET, "/api/v1/products/\(fixture.product.id)/test-result")
                    .decode(TestResult.self).history
                #expect(history.contains { $0.taskId == old.id && $0.passRate == 1 })
                #expect(try await count(controller, "SELECT count(*)::int FROM cases WHERE task_id = \(old.id)") == 0)
                #expect(try await count(controller, "SELECT count(*)::int FROM reports WHERE task_id = \(old.id)") == 0)
                #expect(
                    try await count(controller, "SELECT count(*)::int FROM running_counts WHERE scope = 'task' AND owner_id = \(old.id)") == 0
                )
                // Runs and log chunks of the deleted cases went with them; the running task's are all there.
                #expect(try await count(controller, "SELECT count(*)::int FROM case_runs") == 1)
                let metrics = try await controller.admin.request(.GET, "/metrics").text
                #expect(metrics.contains(#"testfleet_retention_deleted_total{kind="task"} 1"#))
                #expect(metrics.contains(#"testfleet_retention_deleted_total{kind="case"} \#(RetentionSweep.batchSize + 20)"#))

                let still = try await controller.task(running.id)
                #expect(still.state == .running && still.counts.running == 1)
                try await RunningCounts.expectExact(database: controller.services.database)
                _ = try await controller.admin.request(.POST, "/api/v1/tasks/\(running.id)/cancel")
                try await waitUntil("the cancelled task is deleted once its case stopped", timeout: 60) {
                    try await controller.admin.request(.GET, "/api/v1/tasks/\(running.id)").status == 404
                }
                try await RunningCounts.expectExact(database: controller.services.database)
            }
        }
    }

    @Test("case logs of finished tasks past log_retention_days go; results, runs and reports stay")
    func logsSwept() async throws {
        try await withController(
            .set {
                $0.retentionDays = 0
                $0.logRetentionDays = Self.second
                $0.retentionIntervalSeconds = 0.2
            }
        ) { controller in
            let fixture = try await Fixture.make(
                controller,
                script: "case \"$1\" in good|bad) seq 1 20000 ;; *) echo \"small $1\" ;; esac\n[ \"$1\" = bad ] && exit 3\nexit 0"
            )
            try await withAgent(controller, name: "chatty", products: [fixture.inventory]) { agent in
                // More cases than one batch of the log sweep takes.
                let small = (1...(RetentionSweep.batchSize + 20)).map { "small-\($0)" }
                let task = try await controller.submit(fixture.submission(["good", "bad"] + small, name: "chatty"))
                #expect(try await controller.waitForTask(task.id, timeout: 120).counts.failed == 1)
                try await waitUntil("the task's logs are deleted", timeout: 60) {
                    try await controller.services.database.query(
                        "SELECT logs_deleted_at IS NOT NULL FROM tasks WHERE id = \(task.id)"
                    ).collect(Bool.self).first == true
                }
                #expect(
                    try await count(
                        controller,
                        """
                        SELECT count(*)::int FROM case_logs l JOIN case_runs r ON r.id = l.run_id JOIN cases k ON k.id = r.case_id
                        WHERE k.task_id = \(task.id)
                        """
                    ) == 0
                )
                let kept = try await controller.task(task.id)
                #expect(kept.state == .completed && kept.counts.passed == small.count + 1 && kept.counts.failed == 1)
                #expect(try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report").status == 200)
                let bad = try #require(try await controller.cases(task.id).first { $0.name == "bad" })
                let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(bad.id)").decode(CaseDetail.self)
                #expect(detail.logsDeletedAt != nil && detail.runs.count == 1 && detail.runs[0].logBytes > 100_000)
                #expect(detail.case.exitCode == 3)
                #expect(try await controller.log(bad.id).isEmpty)
                let metrics = try await controller.admin.request(.GET, "/metrics").text
                #expect(metrics.contains(#"testfleet_retention_deleted_total{kind="log_chunk"}"#))
                #expect(!metrics.contains(#"testfleet_retention_deleted_total{kind="task"} 1"#))
            }
        }
    }
}

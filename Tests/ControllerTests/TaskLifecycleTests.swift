import ControllerClient
import Foundation
import PostgresNIO
import Testing
import WireProtocol

@testable import testfleet_controller

/// After the first run, through the API with real agents: one case cancelled, failed cases run again, finished
/// tasks deleted — each by the task's owner or an admin only, each audited.
@Suite("Task lifecycle", .serialized)
struct TaskLifecycleTests {
    /// A tool whose cases pass, except: `hang-*` writes its pid to `<dir>/<case>.pid` and sleeps, `flaky-*`
    /// fails; each only the first time it runs. `junit-*` reports two tests in a JUnit XML result file.
    static func script(_ directory: URL) -> String {
        """
        case "$1" in
          junit-*) echo '<testsuite><testcase classname="t" name="one"/><testcase classname="t" name="two"/></testsuite>' \
            > "$TESTFLEET_RESULT_FILE" ;;
        esac
        seen="\(directory.path)/$1.seen"
        if [ ! -e "$seen" ]; then
          touch "$seen"
          case "$1" in
            hang-*) echo $$ > "\(directory.path)/$1.pid"; exec sleep 300 ;;
            flaky-*) echo "assertion failed in $1"; exit 1 ;;
          esac
        fi
        echo "passed $1"
        """
    }

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-lifecycle-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A controller whose agents heartbeat every second, a tool running ``script(_:)`` and two members.
    struct Scene {
        let controller: TestController
        let directory: URL
        let fixture: Fixture
        let ana: TestUser
        let bo: TestUser

        static func make() async throws -> Scene {
            let controller = try await TestController.start { $0.heartbeatIntervalSeconds = 1 }
            let directory = try TaskLifecycleTests.scratch()
            return Scene(
                controller: controller,
                directory: directory,
                fixture: try await Fixture.make(controller, script: TaskLifecycleTests.script(directory)),
                ana: try await controller.makeUser("ana"),
                bo: try await controller.makeUser("bo")
            )
        }

        /// Makes a scene, runs `body` with it, and stops its controller however `body` ends.
        static func with<T>(_ body: (Scene) async throws -> T) async throws -> T {
            let scene = try await make()
            do {
                let result = try await body(scene)
                await scene.controller.stop()
                return result
            } catch {
                await scene.controller.stop()
                throw error
            }
        }
    }

    func count(_ controller: TestController, _ sql: String) async throws -> Int {
        try await controller.services.database.query(PostgresQuery(unsafeSQL: sql)).collect(Int.self).first ?? -1
    }

    @Test("one case cancelled: a queued one at once, a running one's process killed; the rest of the task goes on")
    func cancelOneCase() async throws {
        try await Scene.with { scene in
            let (controller, directory, fixture, ana, bo) = (scene.controller, scene.directory, scene.fixture, scene.ana, scene.bo)
            try await withAgent(controller, name: "worker", products: [fixture.inventory], extra: "kill_grace_s = 2") { agent in
                let task = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["hang-1", "not-needed", "after"]))
                    .decode(TaskInfo.self)
                let cases = try await controller.cases(task.id)
                let (hanging, queued, after) = (cases[0], cases[1], cases[2])
                _ = try await controller.waitForCase(hanging.id) { $0.case.state == .running }
                let pidFile = directory.appendingPathComponent("hang-1.pid")
                try await waitUntil("the case wrote its pid") { FileManager.default.fileExists(atPath: pidFile.path) }
                let pid = try #require(pid_t(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
                #expect(AgentEndToEndTests.isRunning(pid))

                // Only the owner or an admin.
                let refused = try await bo.client.request(.POST, "/api/v1/cases/\(queued.id)/cancel")
                #expect(refused.status == 403 && refused.errorMessage?.contains("belongs to ana") == true)
                #expect(try await controller.cases(task.id)[1].state == .queued, "a refused cancel changes nothing")

                // Queued: cancelled at once, by its owner.
                let cancelled = try await ana.client.request(.POST, "/api/v1/cases/\(queued.id)/cancel").decode(CaseDetail.self)
                #expect(cancelled.case.state == .cancelled && cancelled.case.message == "cancelled before it ran" && cancelled.runs.isEmpty)
                try await RunningCounts.expectExact(database: controller.services.database)

                // Running: its agent stops it, by an admin's word.
                let stopping = try await controller.admin.request(.POST, "/api/v1/cases/\(hanging.id)/cancel").decode(CaseDetail.self)
                #expect(stopping.case.state == .running, "it ends when its agent has stopped it")
                let stopped = try await controller.waitForCase(hanging.id, timeout: 30) { $0.case.state == .cancelled }
                #expect(stopped.runs.count == 1 && stopped.runs[0].outcome == .cancelled)
                try await waitUntil("the case's process is gone") { !AgentEndToEndTests.isRunning(pid) }

                // The rest of the task goes on.
                let done = try await controller.waitForTask(task.id)
                #expect(done.state == .completed && done.counts.passed == 1 && done.counts.cancelled == 2)
                #expect(try await controller.cases(task.id)[2].id == after.id)
                #expect(try await controller.cases(task.id)[2].state == .passed)
                let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report").decode(TaskReport.self)
                #expect(report.counts.cancelled == 2 && report.counts.passed == 1)

                // An ended case cannot be cancelled; an unknown one is not there.
                let again = try await ana.client.request(.POST, "/api/v1/cases/\(hanging.id)/cancel")
                #expect(again.status == 409 && again.errorMessage == "case \(hanging.id) has already ended as cancelled")
                #expect(try await ana.client.request(.POST, "/api/v1/cases/999999/cancel").status == 404)
                try await RunningCounts.expectExact(database: controller.services.database)
                let audited = try await controller.admin.request(.GET, "/api/v1/audit?action=case.cancel").decode(Page<AuditEntry>.self).items
                #expect(Set(audited.map(\.actor)) == ["ana", "admin"] && Set(audited.compactMap(\.target.id)) == [queued.id, hanging.id])
            }
        }
    }

    @Test("a rerun of the failed cases passes; its own settings, the caller's name; refused while running or empty")
    func rerunFailed() async throws {
        try await Scene.with { scene in
            let (controller, fixture, ana, bo) = (scene.controller, scene.fixture, scene.ana, scene.bo)
            var submission = fixture.submission(["good", "flaky-1", "flaky-2"], name: "nightly", timeout: 77, retries: 4, priority: 3)
            submission.labels = ["os:linux"]
            let original = try await ana.client.request(.POST, "/api/v1/tasks", json: submission).decode(TaskInfo.self)

            // Not while it runs (no agent yet: it waits).
            let early = try await ana.client.request(.POST, "/api/v1/tasks/\(original.id)/rerun", json: RerunRequest())
            #expect(early.status == 409 && early.errorMessage == "task \(original.id) is still queued: rerun it once it has finished")

            try await withAgent(controller, name: "rerunner", products: [fixture.inventory]) { agent in
                let first = try await controller.waitForTask(original.id)
                #expect(first.counts.passed == 1 && first.counts.failed == 2)

                #expect(try await bo.client.request(.POST, "/api/v1/tasks/\(original.id)/rerun").status == 403)
                // No body: the failed cases.
                let answer = try await ana.client.request(.POST, "/api/v1/tasks/\(original.id)/rerun")
                #expect(answer.status == 201, "\(answer.text)")
                let rerun = try answer.decode(TaskInfo.self)
                #expect(rerun.rerunOf == original.id && rerun.name == "rerun of nightly" && rerun.submittedBy == "ana")
                #expect(rerun.priority == 3 && rerun.caseTimeoutS == 77 && rerun.maxInfraRetries == 4 && rerun.labels == ["os:linux"])
                #expect(rerun.product == original.product && rerun.tool == original.tool && rerun.counts.total == 2)
                let passed = try await controller.waitForTask(rerun.id)
                #expect(passed.state == .completed && passed.counts.passed == 2)
                #expect(try await controller.cases(rerun.id).map(\.name) == ["flaky-1", "flaky-2"])
                #expect(try await controller.task(rerun.id).rerunOf == original.id)

                // Nothing failed this time.
                let nothing = try await ana.client.request(.POST, "/api/v1/tasks/\(rerun.id)/rerun", json: RerunRequest(cases: .failed))
                #expect(nothing.status == 409 && nothing.errorMessage?.contains("has no failed, error, timed-out or cancelled case") == true)
                #expect(try await ana.client.request(.POST, "/api/v1/tasks/\(rerun.id)/rerun", json: RerunRequest(cases: .names([]))).status == 409)
                // All, or by name, by an admin for themself.
                let all = try await controller.admin.request(
                    .POST,
                    "/api/v1/tasks/\(original.id)/rerun",
                    json: RerunRequest(cases: .all, name: "again")
                )
                .decode(TaskInfo.self)
                #expect(all.counts.total == 3 && all.name == "again" && all.submittedBy == "admin")
                let named = try await ana.client.request(.POST, "/api/v1/tasks/\(original.id)/rerun", json: RerunRequest(cases: .names(["flaky-2"])))
                    .decode(TaskInfo.self)
                #expect(named.counts.total == 1)
                let unknown = try await ana.client.request(
                    .POST,
                    "/api/v1/tasks/\(original.id)/rerun",
                    json: RerunRequest(cases: .names(["good", "nope"]))
                )
                #expect(unknown.status == 422 && unknown.errorMessage == "cases[1]: task \(original.id) has no case named nope")
                for bad in [#"{"cases": "some"}"#, #"{"cases": 3}"#, #"{"cases": ["a", 1]}"#, "[", #"{"name": 5}"#] {
                    let refused = try await ana.client.request(.POST, "/api/v1/tasks/\(original.id)/rerun", raw: bad)
                    #expect([400, 422].contains(refused.status) && refused.errorMessage != nil, "\(bad): \(refused.status) \(refused.text)")
                }
                #expect(try await ana.client.request(.POST, "/api/v1/tasks/999999/rerun").status == 404)
                try await controller.waitForTask(all.id)
                try await controller.waitForTask(named.id)
                try await RunningCounts.expectExact(database: controller.services.database)
                let audited = try await controller.admin.request(.GET, "/api/v1/audit?action=task.rerun").decode(Page<AuditEntry>.self).items
                #expect(audited.count == 3 && audited.allSatisfy { $0.target == AuditTarget(kind: "task", id: original.id) })
            }
        }
    }

    @Test("a finished task is deleted with its cases, runs, logs and report; refused while it runs; history stays")
    func delete() async throws {
        try await Scene.with { scene in
            let (controller, fixture, ana, bo) = (scene.controller, scene.fixture, scene.ana, scene.bo)
            try await withAgent(controller, name: "deleter", products: [fixture.inventory], slots: 2) { agent in

                let running = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["hang-2"])).decode(TaskInfo.self)
                let hanging = try await controller.cases(running.id)[0]
                _ = try await controller.waitForCase(hanging.id) { $0.case.state == .running }
                let refused = try await ana.client.request(.DELETE, "/api/v1/tasks/\(running.id)")
                #expect(refused.status == 409 && refused.errorMessage?.contains("is still running") == true)
                // Cancelled, but its case still runs until its agent has stopped it.
                #expect(try await ana.client.request(.POST, "/api/v1/tasks/\(running.id)/cancel").status == 200)
                _ = try await controller.waitForCase(hanging.id, timeout: 30) { $0.case.state == .cancelled }
                #expect(try await ana.client.request(.DELETE, "/api/v1/tasks/\(running.id)").status == 204)
                #expect(try await ana.client.request(.GET, "/api/v1/tasks/\(running.id)").status == 404)

                let finished = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["good", "flaky-3", "junit-1"]))
                    .decode(TaskInfo.self)
                try await controller.waitForTask(finished.id)
                #expect(try await count(controller, "SELECT count(*)::int FROM case_tests") == 2, "the tests of the JUnit case are kept")
                let caseIDs = try await controller.cases(finished.id).map(\.id)
                #expect(try await bo.client.request(.DELETE, "/api/v1/tasks/\(finished.id)").status == 403)
                #expect(try await ana.client.request(.DELETE, "/api/v1/tasks/\(finished.id)").status == 204)
                let gone = try await ana.client.request(.GET, "/api/v1/tasks/\(finished.id)/report")
                #expect(gone.status == 410 && gone.errorMessage == "task \(finished.id) was deleted with its cases, logs and report")
                #expect(try await ana.client.request(.GET, "/api/v1/tasks/\(finished.id)").status == 410)
                #expect(try await ana.client.request(.GET, "/api/v1/cases/\(caseIDs[0])").status == 404)
                #expect(try await ana.client.request(.DELETE, "/api/v1/tasks/\(finished.id)").status == 410)
                let history = try await controller.admin.request(.GET, "/api/v1/products/\(fixture.product.id)/test-result")
                    .decode(TestResult.self).history
                #expect(history.contains { $0.taskId == finished.id && abs($0.passRate - 2.0 / 3.0) < 1e-9 })
                let ids = "\(running.id), \(finished.id)"
                #expect(try await count(controller, "SELECT count(*)::int FROM cases WHERE task_id IN (\(ids))") == 0)
                #expect(try await count(controller, "SELECT count(*)::int FROM case_runs") == 0)
                #expect(try await count(controller, "SELECT count(*)::int FROM case_logs") == 0)
                #expect(try await count(controller, "SELECT count(*)::int FROM case_tests") == 0)
                #expect(try await count(controller, "SELECT count(*)::int FROM run_tests") == 0)
                #expect(try await count(controller, "SELECT count(*)::int FROM reports") == 0)
                #expect(try await count(controller, "SELECT count(*)::int FROM running_counts WHERE scope = 'task'") == 0)
                try await RunningCounts.expectExact(database: controller.services.database)
                let audited = try await controller.admin.request(.GET, "/api/v1/audit?action=task.delete").decode(Page<AuditEntry>.self).items
                #expect(Set(audited.compactMap(\.target.id)) == [running.id, finished.id] && audited.allSatisfy { $0.actor == "ana" })
            }
        }
    }
}

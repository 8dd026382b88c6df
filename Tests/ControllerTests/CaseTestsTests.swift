import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Tests reported with results, through the agent API with simulated nodes: what is stored for which attempt,
/// what a report finds, what an agent may not send, and what other services record.
@Suite("Case tests", .serialized)
struct CaseTestsTests {
    static func test(_ name: String, _ status: TestStatus, classname: String = "suite", flaky: Bool? = nil) -> TestRecord {
        TestRecord(
            classname: classname,
            name: name,
            status: status,
            durationMs: 12,
            message: status == .passed ? nil : "\(name) \(status.rawValue)",
            output: status.isFailing ? "trace of \(name)" : nil,
            flaky: flaky
        )
    }

    @Test("a retried case reports its final attempt's tests; a test failing before and passing on the retry is flaky")
    func retries() async throws {
        try await withController(.set { $0.retryAvoidSeconds = 0 }) { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "retrying", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["unit", "plain"], retries: 1))
            var attempts: [String: Int] = [:]
            while let lease = try await node.lease() {
                attempts[lease.caseName, default: 0] += 1
                switch (lease.caseName, attempts[lease.caseName]!) {
                case ("unit", 1):
                    // An infrastructure error with what ran so far: retried.
                    let tests = [Self.test("a", .failed), Self.test("b", .passed)]
                    #expect(try await node.finish(lease, .error, tests: tests).status == 200)
                case ("unit", _):
                    let tests = [Self.test("a", .passed), Self.test("b", .passed), Self.test("c", .passed, flaky: true)]
                    #expect(try await node.finish(lease, .passed, tests: tests).status == 200)
                default:
                    #expect(try await node.finish(lease, .passed).status == 200)
                }
            }
            let ended = try await controller.waitForTask(task.id)
            #expect(ended.tests == TestCounts(total: 3, passed: 3, failed: 0, error: 0, skipped: 0))
            let cases = Dictionary(uniqueKeysWithValues: try await controller.cases(task.id).map { ($0.name, $0) })
            let unit = try #require(cases["unit"])
            #expect(unit.attempts == 2 && unit.tests?.total == 3)
            #expect(cases["plain"]?.tests == nil)
            let detail = try await controller.admin.request(.GET, "/api/v1/cases/\(unit.id)").decode(CaseDetail.self)
            #expect(detail.runs.map { $0.tests?.total } == [2, 3])
            let listed = try await controller.admin.request(.GET, "/api/v1/cases/\(unit.id)/tests").decode(Page<CaseTest>.self)
            #expect(listed.items.map(\.name) == ["a", "b", "c"] && listed.items[2].flaky == true)
            let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report").decode(TaskReport.self)
            #expect(report.failedTests == [] && report.failedTestsTotal == 0)
            #expect(
                report.flakyTests?.map { "\($0.name): \($0.reason)" } == [
                    "c: passed on a rerun after failing", "a: failed on an earlier attempt of its case, passed on the last",
                ]
            )
            #expect(report.testsNewlyFailing == [] && report.comparison == nil)
        }
    }

    @Test("a test of this task that passed and failed across the recent tasks is flaky; one that only failed, or is not in this task, is not")
    func flipsAcrossTasks() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "flips", products: [fixture.simulatedInventory])
            // Per task, each case's tests: name and whether it passed.
            let runs: [[String: [(String, Bool)]]] = [
                ["unit": [("a", false), ("b", true), ("c", false), ("d", true), ("f", false)], "other": [("a", true)]],
                ["unit": [("a", true), ("b", false), ("c", false), ("e", false), ("f", true)], "other": [("a", false)]],
                ["unit": [("a", true), ("b", true), ("c", false)], "other": [("a", true)]],
            ]
            var last: TaskInfo?
            for tests in runs {
                let task = try await controller.submit(fixture.submission(["unit", "other"]))
                while let lease = try await node.lease() {
                    let records = (tests[lease.caseName] ?? []).map { Self.test($0.0, $0.1 ? .passed : .failed) }
                    let status: ResultStatus = records.allSatisfy { $0.status == .passed } ? .passed : .failed
                    #expect(try await node.finish(lease, status, tests: records).status == 200)
                }
                last = try await controller.waitForTask(task.id)
            }
            let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(try #require(last).id)/report").decode(TaskReport.self)
            #expect(report.flakyTests?.map { "\($0.case)/\($0.name)" } == ["other/a", "unit/a", "unit/b"])
            #expect(report.flakyTests?.allSatisfy { $0.reason == "passed and failed across the last 5 tasks of this product and tool" } == true)
        }
    }

    @Test("tests newly failing and newly passing: only in cases of the same name in both versions, in the task's case order")
    func againstBaseline() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, version: "1.0", script: "true")
            let newer = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: fixture.product.name, version: "1.1"))
                .decode(Product.self)
            _ = try await controller.admin.request(.PUT, "/api/v1/products/\(newer.id)/tools", json: ProductToolsInput(toolIds: [fixture.tool.id]))
            var newerInventory = fixture.simulatedInventory
            newerInventory.version = "1.1"
            let node = try await SimulatedNode.enroll(controller, name: "versions", products: [fixture.simulatedInventory, newerInventory])
            /// Runs a task of `product` whose cases report these tests (name, passed) and returns its report.
            func run(_ product: Int64, _ tests: KeyValuePairs<String, [(String, Bool)]>) async throws -> TaskReport {
                var submission = fixture.submission(tests.map(\.key))
                submission.product = ItemReference(id: product)
                let task = try await controller.submit(submission)
                let byCase = Dictionary(uniqueKeysWithValues: tests.map { ($0.key, $0.value) })
                while let lease = try await node.lease() {
                    let records = (byCase[lease.caseName] ?? []).map { Self.test($0.0, $0.1 ? .passed : .failed) }
                    let status: ResultStatus = records.allSatisfy { $0.status == .passed } ? .passed : .failed
                    #expect(try await node.finish(lease, status, tests: records).status == 200)
                }
                #expect(try await controller.waitForTask(task.id).state == .completed)
                return try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report").decode(TaskReport.self)
            }
            _ = try await run(
                fixture.product.id,
                ["unit": [("a", true), ("b", false), ("c", true), ("d", false)], "api": [("k", true), ("m", false)], "old-only": [("x", true)]]
            )
            let report = try await run(
                newer.id,
                [
                    "unit": [("a", false), ("b", true), ("c", true), ("d", false), ("e", false)],
                    "api": [("k", false), ("m", true)],
                    "new-only": [("x", false)],
                ]
            )
            // `e` is new in `unit` and `new-only` has no case to compare with: neither is newly failing.
            #expect(report.testsNewlyFailing?.map { "\($0.case)/\($0.name)" } == ["unit/a", "api/k"])
            #expect(report.testsNewlyFailingTotal == 2)
            #expect(report.testsNewlyPassing?.map { "\($0.case)/\($0.name)" } == ["unit/b", "api/m"])
            #expect(report.testsNewlyPassingTotal == 2)
            #expect(report.testsNewlyPassing?.allSatisfy { $0.status == .passed } == true)
        }
    }

    @Test("the last cases of a task ending at once with tests: every result is taken, the task completes once")
    func lastResultsTogether() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let nodes = [
                try await SimulatedNode.enroll(controller, name: "left", products: [fixture.simulatedInventory]),
                try await SimulatedNode.enroll(controller, name: "right", products: [fixture.simulatedInventory]),
            ]
            for round in 1...5 {
                let task = try await controller.submit(fixture.submission(["a\(round)", "b\(round)"]))
                var leases: [(SimulatedNode, Lease)] = []
                for node in nodes { leases.append((node, try #require(try await node.lease()))) }
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for (node, lease) in leases {
                        group.addTask {
                            let tests = (1...200).map { Self.test("t\($0)", $0 % 50 == 0 ? .failed : .passed) }
                            return try await node.finish(lease, .failed, tests: tests).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses == [200, 200], "round \(round): \(statuses)")
                let ended = try await controller.waitForTask(task.id)
                #expect(ended.state == .completed && ended.tests == TestCounts(total: 400, passed: 392, failed: 8, error: 0, skipped: 0))
                let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(task.id)/report").decode(TaskReport.self)
                #expect(report.failedTestsTotal == 8 && report.tests?.total == 400)
            }
        }
    }

    @Test("tests an agent could not have read are refused with 422, nothing is stored, and the lease stays open")
    func refused() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "hostile", products: [fixture.simulatedInventory])
            let task = try await controller.submit(fixture.submission(["x"]))
            let lease = try #require(try await node.lease())
            let limits = TestLimits()
            let hostile: [(String, [TestRecord])] = [
                ("classname", [Self.test("a", .passed, classname: String(repeating: "c", count: limits.nameBytes + 1))]),
                ("U+0000", [Self.test("a\u{0}b", .passed)]),
                (
                    "output",
                    [TestRecord(classname: "c", name: "n", status: .failed, output: String(repeating: "o", count: limits.outputBytes + 1000))]
                ),
                ("duration_ms", [TestRecord(classname: "c", name: "n", status: .passed, durationMs: -1)]),
                (
                    "message",
                    [TestRecord(classname: "c", name: "n", status: .failed, message: String(repeating: "m", count: limits.messageBytes + 1))]
                ),
            ]
            for (expected, tests) in hostile {
                let answer = try await node.finish(lease, .passed, tests: tests)
                #expect(answer.status == 422, "\(expected): \(answer.status)")
                #expect(answer.errorMessage?.contains(expected) == true, "\(answer.errorMessage ?? answer.text)")
            }
            let bad = try await node.client.request(
                .POST,
                "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/result",
                raw:
                    #"{"token": \#(lease.token), "status": "passed", "duration_ms": 1, "tests": [{"classname": "c", "name": "n", "status": "sideways"}]}"#
            )
            #expect(bad.status == 422 || bad.status == 400)
            // Only a case stopped by its agent's shutdown is handed back, and it did not pass.
            let handedBack = try await node.client.request(
                .POST,
                "/api/v1/agent/leases/\(lease.leaseId.uuidString.lowercased())/result",
                raw: #"{"token": \#(lease.token), "status": "passed", "duration_ms": 1, "handed_back": true}"#
            )
            #expect(handedBack.status == 422 && handedBack.errorMessage?.contains("handed_back") == true, "\(handedBack.text)")
            #expect(try await controller.task(task.id).tests == nil)
            #expect(try await node.finish(lease, .passed, tests: [Self.test("fine", .passed)]).status == 200)
            #expect(try await controller.waitForTask(task.id).tests?.total == 1)
        }
    }

    @Test("more tests, or more text, than an agent reads are refused before anything is stored")
    func refusedByLimits() throws {
        var limits = TestLimits()
        limits.tests = 3
        limits.totalTextBytes = 40
        let four = (1...4).map { Self.test("t\($0)", .passed) }
        #expect(throws: StoreError.self) { try CaseTests.validate(four, limits: limits) }
        #expect(throws: StoreError.self) { try CaseTests.validate([Self.test(String(repeating: "n", count: 50), .passed)], limits: limits) }
        try CaseTests.validate(Array(four.prefix(3)), limits: limits)
        try CaseTests.validate(nil, limits: limits)
    }

    @Test("other services record test counts with a product's result; counts that do not add up are refused")
    func productResult() async throws {
        try await withController { controller in
            let product = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: "svc", version: "3"))
                .decode(Product.self)
            let counts = TestCounts(total: 10, passed: 7, failed: 2, error: 0, skipped: 1)
            let recorded = try await controller.admin.request(
                .PUT,
                "/api/v1/products/\(product.id)/test-result",
                json: TestResultInput(passRate: 0.9, reportUrl: "https://ci.example/1", tests: counts)
            )
            #expect(recorded.status == 200)
            let result = try recorded.decode(TestResult.self)
            #expect(result.tests == counts && result.testPassRate == 7.0 / 9.0 && result.history.first?.tests == counts)
            let wrong = try await controller.admin.request(
                .PUT,
                "/api/v1/products/\(product.id)/test-result",
                raw: #"{"pass_rate": 1, "tests": {"total": 3, "passed": 1, "failed": 0, "error": 0, "skipped": 0}}"#
            )
            #expect(wrong.status == 422)
            let plain = try await controller.admin.request(.PUT, "/api/v1/products/\(product.id)/test-result", json: TestResultInput(passRate: 1))
            #expect(try plain.decode(TestResult.self).tests == nil)
        }
    }

    @Test("JUnit out: a suite per case with tests; a case without stays one testcase; a failing case whose tests all passed says so")
    func junitOut() throws {
        func test(_ n: Int, _ name: String, _ status: TestStatus) -> CaseTest {
            CaseTest(n: n, classname: "pkg.Mod", name: name, status: status, durationMs: 5, message: "\(name) said <no>", output: "out & about")
        }
        func failed(_ id: Int64, _ name: String, ms: Int64, message: String?, tests: [CaseTest] = []) -> JUnitRenderer.Case {
            let entry = TaskReport.CaseEntry(
                caseId: id,
                name: name,
                state: .failed,
                node: nil,
                attempts: 1,
                durationMs: ms,
                exitCode: nil,
                message: message,
                logUrl: ReportBuilder.logPath(caseID: id)
            )
            return JUnitRenderer.Case(entry: entry, tests: tests)
        }
        let cases = [
            failed(1, "plain", ms: 100, message: "exit code 2"),
            failed(2, "suite-a", ms: 200, message: nil, tests: [test(1, "ok", .passed), test(2, "bad", .failed)]),
            failed(3, "suite-b", ms: 300, message: "exit code 4", tests: [test(1, "ok", .passed)]),
        ]
        let xml = JUnitRenderer.render(report: TaskReportFixtures.report(), cases: cases)
        #expect(xml.contains(#"<testsuites name="t" tests="5" failures="3" errors="0" skipped="0""#))
        #expect(xml.contains(#"<testcase name="plain" classname="p" time="0.100">"#))
        #expect(xml.contains(#"<testsuite name="suite-a" tests="2" failures="1" errors="0" skipped="0" time="0.200">"#))
        #expect(xml.contains(#"<failure message="bad said &lt;no&gt;" type="failed">out &amp; about</failure>"#))
        #expect(xml.contains(#"<testcase name="suite-b" classname="testfleet.case" time="0.300">"#))
        #expect(xml.contains(#"<failure message="exit code 4" type="failed"/>"#))
        let parsed = try JUnitSummary(Data(xml.utf8))
        #expect(parsed.cases["bad"] == "failure" && parsed.cases["ok"] == "passed" && parsed.cases["plain"] == "failure")
    }

    @Test("the findings of a report: each flaky test once, by the first reason that applies; lists cut to the limit")
    func findings() {
        let a = TestFindings.Identity(case: "k", classname: "c", name: "a")
        let b = TestFindings.Identity(case: "k", classname: "c", name: "b")
        var findings = TestFindings(counts: TestCounts(total: 3, passed: 1, failed: 1, error: 1, skipped: 0))
        findings.rerun = [a]
        findings.retried = [a, b]
        findings.flipped = [b]
        #expect(findings.flaky.map(\.name) == ["a", "b"])
        #expect(findings.flaky[1].reason == "failed on an earlier attempt of its case, passed on the last")
        var report = TaskReportFixtures.report()
        findings.apply(to: &report)
        #expect(report.tests?.total == 3 && report.testPassRate == 1.0 / 3.0 && report.failedTestsTotal == 2)
        var empty = TaskReportFixtures.report()
        TestFindings().apply(to: &empty)
        #expect(empty.tests == nil && empty.failedTests == [] && empty.flakyTests == [])
    }
}

/// Reports for pure tests.
enum TaskReportFixtures {
    static func report() -> TaskReport {
        let item = ItemSummary(id: 1, name: "p", version: "1")
        return TaskReport(
            taskId: 1,
            taskName: "t",
            state: .completed,
            product: item,
            tool: item,
            submittedBy: "admin",
            createdAt: Date(),
            startedAt: nil,
            finishedAt: nil,
            generatedAt: Date(),
            counts: CaseCounts(),
            passRate: nil,
            durations: .init(sumMs: 0, medianMs: nil, p95Ms: nil, maxMs: nil),
            wallTimeMs: nil,
            nodes: [],
            failures: [],
            slowest: [],
            passedOnRetry: [],
            flaky: [],
            comparison: nil,
            reportUrl: "/api/v1/tasks/1/report"
        )
    }
}

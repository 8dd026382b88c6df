import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Reports")
struct ReportTests {
    /// Runs every case of a task on `node`, each with the outcome and duration the plan gives it.
    func run(_ node: SimulatedNode, _ plan: [String: [(ResultStatus, Int64)]]) async throws {
        var attempts: [String: Int] = [:]
        while let lease = try await node.lease() {
            let attempt = attempts[lease.caseName, default: 0]
            attempts[lease.caseName] = attempt + 1
            let (status, duration) = plan[lease.caseName]![attempt]
            // In two chunks, as an agent ships a case that prints as it goes.
            let head = "output of \(lease.caseName) attempt \(attempt + 1)\n"
            _ = try await node.log(lease, offset: 0, head)
            _ = try await node.log(lease, offset: Int64(head.utf8.count), "end of \(lease.caseName)\n")
            try await node.finish(lease, status, durationMs: duration, message: status == .passed ? nil : "\(status.rawValue) \(lease.caseName)")
        }
    }

    @Test("exact figures for a known mix, JUnit XML, comparison with the previous version, product test result")
    func report() async throws {
        try await withController(.set { $0.retryAvoidSeconds = 0 }) { controller in
            let fixture = try await Fixture.make(controller, product: "rep", version: "1.0", script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "reporter", products: [fixture.simulatedInventory])
            let first = try await controller.submit(fixture.submission(["a", "b", "c", "d", "e", "f", "g", "h"], retries: 1))
            try await run(
                node,
                [
                    "a": [(.passed, 100)], "b": [(.passed, 200)], "c": [(.failed, 300)], "d": [(.passed, 400)],
                    "e": [(.error, 10), (.error, 500)], "f": [(.skipped, 50)], "g": [(.timedOut, 1000)],
                    "h": [(.error, 20), (.passed, 150)],
                ]
            )
            let ended = try await controller.waitForTask(first.id)
            #expect(ended.state == .completed && ended.reportUrl == "/api/v1/tasks/\(first.id)/report")
            let report = try await controller.admin.request(.GET, "/api/v1/tasks/\(first.id)/report").decode(TaskReport.self)
            #expect(report.counts.total == 8 && report.counts.passed == 4 && report.counts.failed == 1)
            #expect(report.counts.error == 1 && report.counts.skipped == 1 && report.counts.timedOut == 1)
            #expect(report.passRate == 4.0 / 7.0)
            #expect(report.durations == .init(sumMs: 2700, medianMs: 200, p95Ms: 1000, maxMs: 1000))
            #expect(report.nodes.count == 1 && report.nodes[0].node.name == "reporter" && report.nodes[0].counts.total == 8)
            #expect(Set(report.failures.map(\.name)) == ["c", "e", "g"])
            #expect(report.failures.first { $0.name == "c" }?.logUrl.hasSuffix("/log") == true)
            #expect(report.passedOnRetry.map(\.name) == ["h"])
            #expect(report.flaky.map(\.name) == ["h"])
            #expect(report.slowest.first?.name == "g")
            #expect(report.comparison == nil)

            let result = try await controller.admin.request(.GET, "/api/v1/products/\(fixture.product.id)/test-result").decode(TestResult.self)
            #expect(result.passRate == 4.0 / 7.0 && result.reportUrl == "/api/v1/tasks/\(first.id)/report")

            let xml = try await controller.admin.request(.GET, "/api/v1/tasks/\(first.id)/report.xml")
            #expect(xml.header("Content-Type")?.hasPrefix("application/xml") == true)
            let parsed = try JUnitSummary(xml.body)
            #expect(parsed.suite["tests"] == "8" && parsed.suite["failures"] == "2" && parsed.suite["errors"] == "1")
            #expect(parsed.suite["skipped"] == "1" && parsed.suite["time"] == "2.700")
            #expect(parsed.cases.count == 8)
            #expect(parsed.cases["c"] == "failure" && parsed.cases["g"] == "failure" && parsed.cases["e"] == "error")
            #expect(parsed.cases["f"] == "skipped" && parsed.cases["a"] == "passed")
            // The tail of the log, whichever chunks it spans.
            #expect(parsed.output["c"] == "output of c attempt 1\nend of c\n")

            let html = try await controller.admin.request(.GET, "/api/v1/tasks/\(first.id)/report.html")
            #expect(html.text.contains("57.1 %") && html.text.contains("<code>c</code>"))

            // The next version: compared with 1.0.
            let next = try await controller.admin.request(.POST, "/api/v1/products", json: ProductInput(name: "rep", version: "2.0"))
                .decode(Product.self)
            _ = try await controller.admin.request(.PUT, "/api/v1/products/\(next.id)/tools", json: ProductToolsInput(toolIds: [fixture.tool.id]))
            var inventory = fixture.simulatedInventory
            inventory.version = "2.0"
            let newer = try await SimulatedNode.enroll(controller, name: "reporter-2", products: [inventory])
            var submission = fixture.submission(["a", "b", "c", "d", "x"])
            submission.product = ItemReference(id: next.id)
            let second = try await controller.submit(submission)
            try await run(
                newer,
                ["a": [(.failed, 10)], "b": [(.passed, 10)], "c": [(.passed, 10)], "d": [(.passed, 10)], "x": [(.passed, 10)]]
            )
            try await controller.waitForTask(second.id)
            let compared = try await controller.admin.request(.GET, "/api/v1/tasks/\(second.id)/report").decode(TaskReport.self)
            let comparison = try #require(compared.comparison)
            #expect(comparison.baselineTaskId == first.id && comparison.baselineVersion == "1.0")
            #expect(comparison.newlyFailing == ["a"] && comparison.newlyPassing == ["c"])
            #expect(comparison.newCases == ["x"] && comparison.missingCases == ["e", "f", "g", "h"])
            #expect(Set(compared.flaky.map(\.name)) == ["a", "c"])
            let nextResult = try await controller.admin.request(.GET, "/api/v1/products/\(next.id)/test-result").decode(TestResult.self)
            #expect(nextResult.passRate == 0.8)
            #expect(try await controller.admin.request(.GET, "/api/v1/tasks/999/report").status == 404)
        }
    }

    @Test("report figures from the pure builder: pass rate, percentiles, empty tasks")
    func builder() {
        #expect(ReportBuilder.percentile([], 0.5) == nil)
        #expect(ReportBuilder.percentile([7], 0.95) == 7)
        #expect(ReportBuilder.percentile(Array(1...100), 0.95) == 95)
        #expect(ReportBuilder.percentile(Array(1...100), 0.5) == 50)
        var counts = CaseCounts()
        #expect(ReportBuilder.passRate(counts) == nil)
        counts.skipped = 3
        counts.cancelled = 2
        #expect(ReportBuilder.passRate(counts) == nil)
        counts.passed = 1
        counts.timedOut = 1
        #expect(ReportBuilder.passRate(counts) == 0.5)
    }

    @Test("the whole report from cases alone: counts, durations, nodes, failures, slowest, flaky, comparison")
    func buildWithoutDatabase() {
        var task = TaskInfo.sample()
        task.state = .completed
        let start = Date(timeIntervalSince1970: 1_000)
        task.startedAt = start
        task.finishedAt = start.addingTimeInterval(2.5)
        let lab1 = NodeSummary(id: 7, name: "lab-1")
        let lab2 = NodeSummary(id: 3, name: "lab-2")
        func row(_ id: Int64, _ name: String, _ state: CaseState, _ node: NodeSummary?, attempts: Int = 1, ms: Int64?) -> TaskReport.CaseEntry {
            .init(
                caseId: id,
                name: name,
                state: state,
                node: node,
                attempts: attempts,
                durationMs: ms,
                exitCode: nil,
                message: nil,
                logUrl: ReportBuilder.logPath(caseID: id)
            )
        }
        let builder = ReportBuilder(
            task: task,
            cases: [
                row(1, "login", .passed, lab1, ms: 100),
                row(2, "cart", .failed, lab2, ms: 400),
                row(3, "pay", .passed, lab2, attempts: 2, ms: 300),
                row(4, "search", .timedOut, lab1, ms: 900),
                row(5, "export", .cancelled, nil, ms: 5000),
                row(6, "brand-new", .skipped, lab1, ms: 0),
            ],
            baseline: .init(taskID: 40, version: "0.9", states: ["login": .failed, "cart": .passed, "pay": .passed, "gone": .passed]),
            flippedCases: ["search", "pay"],
            generatedAt: start,
            slowestCount: 2
        )
        let report = builder.build()
        #expect(report.counts.total == 6 && report.counts.passed == 2 && report.counts.failed == 1)
        #expect(report.counts.timedOut == 1 && report.counts.cancelled == 1 && report.counts.skipped == 1)
        #expect(report.passRate == 0.5)
        // Cancelled cases count in no duration.
        #expect(report.durations == .init(sumMs: 1700, medianMs: 300, p95Ms: 900, maxMs: 900))
        #expect(report.wallTimeMs == 2500)
        #expect(report.nodes.map(\.node.name) == ["lab-1", "lab-2"])
        #expect(report.nodes[0].counts.total == 3 && report.nodes[0].durationMs == 1000)
        #expect(report.nodes[1].counts.passed == 1 && report.nodes[1].counts.failed == 1 && report.nodes[1].durationMs == 700)
        #expect(report.failures.map(\.name) == ["cart", "search"])
        #expect(report.slowest.map(\.name) == ["search", "cart"])
        #expect(report.passedOnRetry.map(\.name) == ["pay"])
        // A case that passed on retry is flaky for that reason only; the others flipped across recent runs.
        #expect(report.flaky.map(\.name) == ["pay", "search"])
        #expect(report.flaky[0].reason == "passed on attempt 2")
        let comparison = report.comparison
        #expect(comparison?.baselineTaskId == 40 && comparison?.baselineVersion == "0.9")
        #expect(comparison?.newlyFailing == ["cart"] && comparison?.newlyPassing == ["login"])
        #expect(comparison?.newCases == ["search", "export", "brand-new"] && comparison?.missingCases == ["gone"])
        #expect(report.failures[0].logUrl == "/api/v1/cases/2/log" && report.reportUrl == "/api/v1/tasks/1/report")

        // An attempt handed back by its agent's shutdown did not fail: passing after it is no retry.
        let afterHandBack = ReportBuilder(
            task: task,
            cases: [row(7, "restarted", .passed, lab1, attempts: 2, ms: 10), row(3, "pay", .passed, lab2, attempts: 3, ms: 300)],
            handBacks: [7: 1],
            generatedAt: start
        ).build()
        #expect(afterHandBack.passedOnRetry.map(\.name) == ["pay"] && afterHandBack.flaky.map(\.name) == ["pay"])
    }
}

/// The parts of a JUnit XML document the tests check.
struct JUnitSummary {
    var suite: [String: String] = [:]
    /// Case name → passed, failure, error or skipped.
    var cases: [String: String] = [:]
    var output: [String: String] = [:]

    init(_ data: Data) throws {
        let delegate = Delegate()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else { throw TestFailure("JUnit XML does not parse: \(String(describing: parser.parserError))") }
        suite = delegate.suite
        cases = delegate.cases
        output = delegate.output
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        var suite: [String: String] = [:]
        var cases: [String: String] = [:]
        var output: [String: String] = [:]
        var current: String?
        var text = ""

        func parser(
            _ parser: XMLParser,
            didStartElement name: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            switch name {
            case "testsuite": suite = attributes
            case "testcase":
                current = attributes["name"]
                if let current { cases[current] = "passed" }
            case "failure", "error", "skipped": if let current { cases[current] = name }
            case "system-out": text = ""
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "system-out", let current { output[current] = text }
        }
    }
}

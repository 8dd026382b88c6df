import ArgumentParser
import ControllerClient
import Foundation
import WireProtocol

extension BenchCommand {
    /// Cases that report JUnit tests: how fast results with tests are stored, how long the report of such a task
    /// takes, and how fast a case page with many tests renders.
    struct Tests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tests stored per second, report time and case page time for a task whose cases report JUnit tests."
        )
        @OptionGroup var target: Target
        @Option(help: "The admin's password, for a web session.") var password: String
        @Option var agents = 4
        @Option var cases = 100
        @Option(help: "Tests per case.") var tests = 2000
        @Option(help: "Fetches of the case page.") var pageRounds = 20

        func run() async throws {
            try await target.run(nodes: agents, connections: agents + 8) { bench, setup in
                var setup = setup
                // The same suite on version 1, then on version 2 with other tests failing: the measured task's report
                // compares its tests with the baseline's and looks for flips over both.
                let first = try await self.task(bench, setup, seed: 0)
                setup.product = try await nextVersion(bench, setup)
                let measured = try await self.task(bench, setup, seed: 1)
                let page = try await casePage(bench, taskID: measured.taskID)
                try emit([
                    "ingest_per_s": Double(cases * tests) / measured.ingest, "ingest_s": measured.ingest,
                    "baseline_ingest_per_s": Double(cases * tests) / first.ingest, "tests": cases * tests, "cases": cases,
                    "report_s": measured.report, "baseline_report_s": first.report, "case_page_ms": page.default,
                    "case_page_1000_ms": page.large,
                ])
            }
        }

        /// Runs a task of `cases` cases of `tests` tests each: the seconds its results with tests took, and the
        /// seconds of the result that ends it, which writes its report.
        private func task(_ bench: Bench, _ setup: Bench.Setup, seed: UInt64) async throws -> (taskID: Int64, ingest: Double, report: Double) {
            // One more case, finished last on its own: the result that ends the task writes its report.
            let names = (0..<cases).map { "suite/test_module_\($0).py" } + ["last"]
            let taskID = try await bench.submit(setup, cases: names)
            let made = (0..<cases).map { Self.tests(case: $0, count: tests, seed: seed) }
            let last = Box<(node: AgentClient, lease: Lease)>()
            let results = Counter()
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for node in setup.nodes {
                    group.addTask {
                        while let lease = try await node.lease(wait: 0) {
                            guard lease.caseName != "last" else {
                                last.setOnce((node, lease))
                                continue
                            }
                            let index = Int(lease.caseName.split(separator: "_").last!.dropLast(3))!
                            let caseTests = made[index]
                            let failed = caseTests.contains { $0.status.isFailing }
                            let result = CaseResult(
                                token: lease.token,
                                status: failed ? .failed : .passed,
                                exitCode: failed ? 1 : 0,
                                durationMs: 1000,
                                message: nil,
                                tests: caseTests
                            )
                            try await node.result(lease, result)
                            results.add(1)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let ingest = milliseconds(ContinuousClock.now - start) / 1000
            guard results.value == cases, case let (node, lease)? = last.value else {
                throw BenchError("only \(results.value) of \(cases) results")
            }
            let reportStart = ContinuousClock.now
            try await node.result(lease, .init(token: lease.token, status: .passed, exitCode: 0, durationMs: 1, message: nil))
            return (taskID, ingest, milliseconds(ContinuousClock.now - reportStart) / 1000)
        }

        /// Version 2 of the setup's product, linked to its tool and installed on its nodes.
        private func nextVersion(_ bench: Bench, _ setup: Bench.Setup) async throws -> Int64 {
            let product = try await bench.call(.GET, "/api/v1/products/\(setup.product)", String?.none, as: Product.self)
            let tool = try await bench.call(.GET, "/api/v1/tools/\(setup.tool)", String?.none, as: Tool.self)
            let next = try await bench.call(.POST, "/api/v1/products", ProductInput(name: product.name, version: "2"), as: Product.self)
            _ = try await bench.call(.PUT, "/api/v1/products/\(next.id)/tools", ProductToolsInput(toolIds: [tool.id]), as: ItemList<Tool>.self)
            let installed = [product, next].map { item in
                InventoryProduct(
                    name: item.name,
                    version: item.version,
                    path: "/tmp",
                    tools: [InventoryTool(name: tool.name, version: tool.version, path: "/tmp")]
                )
            }
            for node in setup.nodes { _ = try await node.inventory(Inventory(products: installed)) }
            return next.id
        }

        /// The median time of the web page of a case with `tests` tests: as it opens (one page of tests) and
        /// with the largest page of tests.
        private func casePage(_ bench: Bench, taskID: Int64) async throws -> (default: Double, large: Double) {
            let login = try await bench.client.send(
                .POST,
                "/api/v1/auth/login",
                body: try WireJSON.encoder().encode(LoginInput(username: "admin", password: password))
            )
            guard login.status == 200, let cookie = login.headers.first(where: { $0.0.lowercased() == "set-cookie" })?.1 else {
                throw BenchError("cannot log in to the web UI: \(login.status)")
            }
            let session = [("Cookie", String(cookie.prefix { $0 != ";" }))]
            let first = try await bench.call(.GET, "/api/v1/tasks/\(taskID)/cases?limit=1", String?.none, as: Page<CaseInfo>.self)
            guard let caseID = first.items.first?.id else { throw BenchError("the task has no case") }
            func median(_ path: String) async throws -> Double {
                var samples: [Double] = []
                for _ in 0..<pageRounds {
                    let start = ContinuousClock.now
                    let answer = try await bench.client.send(.GET, path, headers: session)
                    guard answer.status == 200 else { throw BenchError("\(path): \(answer.status)") }
                    samples.append(milliseconds(ContinuousClock.now - start))
                }
                return percentile(samples.sorted(), 0.5)
            }
            return (try await median("/cases/\(caseID)"), try await median("/cases/\(caseID)?limit=1000"))
        }

        /// A case's tests as a tool reports them: a few failing with a message and some output, a few skipped.
        /// Another `seed` fails other tests.
        static func tests(case index: Int, count: Int, seed: UInt64) -> [TestRecord] {
            var generator = SeededGenerator(seed: UInt64(index + 1) &+ seed &* 1_000_003)
            return (0..<count).map { n in
                let draw = Int.random(in: 0..<100, using: &generator)
                let status: TestStatus = draw < 2 ? .failed : draw < 3 ? .error : draw < 8 ? .skipped : .passed
                let failing = status.isFailing
                return TestRecord(
                    classname: "tests.test_module_\(index).TestGroup\(n / 50)",
                    name: "test_behaviour_\(n)[param-\(n % 7)]",
                    status: status,
                    durationMs: Int64.random(in: 1...400, using: &generator),
                    message: failing ? "AssertionError: expected \(n) to equal \(n + 1)" : status == .skipped ? "not on this platform" : nil,
                    output: failing ? String(repeating: "traceback line for test \(n)\n", count: 30) : nil
                )
            }
        }
    }
}

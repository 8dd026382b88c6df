import Foundation
import PostgresNIO
import WireProtocol

/// Reads what a report says about tests, inside the transaction that writes the report. Each list is one query
/// that starts from the few failing or flaky tests (their partial index) rather than from every test, and is
/// cut at ``TaskReport/testsListed``.
struct TestFindingsStore: Sendable {
    /// How many recent tasks of the product and tool flips are looked for in, as the report says.
    var window = 5

    /// What the report of `task` says of tests; `recentTaskIDs` are the tasks flips are looked for in (the task
    /// itself among them).
    func load(task: TaskInfo, baselineTaskID: Int64?, recentTaskIDs: [Int64], transaction: Transaction) async throws -> TestFindings {
        var findings = TestFindings(window: window)
        findings.counts = try await counts(taskID: task.id, transaction: transaction)
        guard findings.counts != nil else { return findings }
        let listed = TaskReport.testsListed
        // Each case's final run with tests: run_tests rt (final), its case k, its tests t.
        findings.failed = try await tests(
            """
            SELECT k.id, k.name, t.classname, t.name, t.status, t.message, 0
            FROM run_tests rt JOIN cases k ON k.id = rt.case_id JOIN case_tests t ON t.run_id = rt.run_id
            WHERE rt.task_id = \(task.id) AND rt.final AND t.status IN ('failed', 'error')
            ORDER BY k.ordinal, t.n LIMIT \(listed)
            """,
            transaction
        ).tests
        if let baseline = baselineTaskID {
            // Each case's final run beside the baseline's final run of the case of the same name, paired here from
            // two reads of one task each, so that no plan can compare every case with every case. A test is then
            // looked up in the other run by its key (its class name and name), a pair's runs at a time (OFFSET 0
            // keeps each lateral lookup to its own pair). Both lists select tests `t` of the pairs `p`.
            let runs = try await finalRuns(of: task.id, transaction)
            let baseRuns = Dictionary(try await finalRuns(of: baseline, transaction).map { ($0.name, $0.run) }) { $1 }
            let pairs = runs.compactMap { run in baseRuns[run.name].map { (run: run, base: $0) } }
            var binds = PostgresBindings(capacity: 6)
            binds.append(pairs.map(\.run.caseID))
            binds.append(pairs.map(\.run.name))
            binds.append(pairs.map(\.run.ordinal))
            binds.append(pairs.map(\.run.run))
            binds.append(pairs.map(\.base))
            binds.append(listed)
            let pairedTests = """
                SELECT p.case_id, p.case_name, t.classname, t.name, t.status, t.message, count(*) OVER ()
                FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::uuid[])
                    AS p(case_id, case_name, ordinal, run_id, base_run)

                """
            (findings.newlyFailing, findings.newlyFailingTotal) = try await tests(
                PostgresQuery(
                    unsafeSQL: pairedTests + """
                        CROSS JOIN LATERAL (
                            SELECT t.n, t.classname, t.name, t.status, t.message FROM case_tests t
                            WHERE t.run_id = p.run_id AND t.status IN ('failed', 'error') AND EXISTS (
                                SELECT 1 FROM case_tests bt WHERE bt.run_id = p.base_run AND bt.key = t.key
                                  AND bt.classname = t.classname AND bt.name = t.name AND bt.status = 'passed')
                            OFFSET 0
                        ) t
                        ORDER BY p.ordinal, t.n LIMIT $6
                        """,
                    binds: binds
                ),
                transaction
            )
            (findings.newlyPassing, findings.newlyPassingTotal) = try await tests(
                PostgresQuery(
                    unsafeSQL: pairedTests + """
                        CROSS JOIN LATERAL (
                            SELECT t.n, t.classname, t.name, t.status, t.message
                            FROM case_tests bt JOIN LATERAL (
                                SELECT t.n, t.classname, t.name, t.status, t.message FROM case_tests t
                                WHERE t.run_id = p.run_id AND t.key = bt.key AND t.classname = bt.classname
                                  AND t.name = bt.name AND t.status = 'passed'
                                LIMIT 1
                            ) t ON true
                            WHERE bt.run_id = p.base_run AND bt.status IN ('failed', 'error')
                            OFFSET 0
                        ) t
                        ORDER BY p.ordinal, t.n LIMIT $6
                        """,
                    binds: binds
                ),
                transaction
            )
        }
        findings.rerun = try await identities(
            """
            SELECT k.name, t.classname, t.name
            FROM run_tests rt JOIN cases k ON k.id = rt.case_id JOIN case_tests t ON t.run_id = rt.run_id
            WHERE rt.task_id = \(task.id) AND rt.final AND t.flaky
            ORDER BY k.ordinal, t.n LIMIT \(listed)
            """,
            transaction
        )
        findings.retried = try await identities(
            """
            SELECT DISTINCT k.name, p.classname, p.name
            FROM run_tests rt JOIN cases k ON k.id = rt.case_id AND k.attempts > 1
            JOIN case_runs earlier ON earlier.case_id = k.id AND earlier.id <> rt.run_id
            JOIN case_tests p ON p.run_id = earlier.id AND p.status IN ('failed', 'error')
            WHERE rt.task_id = \(task.id) AND rt.final
              AND EXISTS (
                  SELECT 1 FROM case_tests t WHERE t.run_id = rt.run_id AND t.key = p.key AND t.classname = p.classname
                    AND t.name = p.name AND t.status = 'passed')
            ORDER BY 1, 2, 3 LIMIT \(listed)
            """,
            transaction
        )
        findings.flipped = try await flippedTests(of: task, recent: recentTaskIDs, transaction: transaction)
        return findings
    }

    /// Tests of the task that failed in one of the recent tasks of its product and tool and passed in another,
    /// in the final runs of cases of the same name, sorted and cut at ``TaskReport/testsListed``.
    ///
    /// Three lookups, each as costly as the rows it reads whatever the planner believes: a big task's tests are
    /// newer than the tables' statistics, and the single query this was, planned for the few rows they promised,
    /// compared each failing test with every run of the recent tasks (9.5 s for 20,000 cases of 10 tests, in the
    /// transaction that ends the task). The failing tests come by their partial index; the recent runs of their
    /// cases by the names bound as one array; the same tests in those runs by their keys, one index probe each
    /// (left to itself, the planner sorts every stored test, on disk, to merge them with the keys).
    private func flippedTests(of task: TaskInfo, recent: [Int64], transaction: Transaction) async throws -> [TestFindings.Identity] {
        struct Test: Hashable {
            var identity: TestFindings.Identity
            var key: Int64
        }
        var failing = Set<Test>()
        for try await (caseName, classname, name, key) in try await transaction.query(
            """
            SELECT k.name, t.classname, t.name, t.key
            FROM run_tests rt JOIN cases k ON k.id = rt.case_id
            JOIN case_tests t ON t.run_id = rt.run_id AND t.status IN ('failed', 'error')
            WHERE rt.task_id = ANY(\(recent)) AND rt.final
            """
        ).decode((String, String, String, Int64).self) {
            failing.insert(Test(identity: .init(case: caseName, classname: classname, name: name), key: key))
        }
        guard !failing.isEmpty else { return [] }
        // The recent final runs of the cases with a failing test; whether each is this task's.
        var runs: [String: [(run: UUID, current: Bool)]] = [:]
        let names = Array(Set(failing.map(\.identity.case)))
        for try await (caseName, run, taskID) in try await transaction.query(
            """
            SELECT k.name, rt.run_id, rt.task_id FROM run_tests rt JOIN cases k ON k.id = rt.case_id
            WHERE rt.task_id = ANY(\(recent)) AND rt.final AND k.name = ANY(\(names))
            """
        ).decode((String, UUID, Int64).self) {
            runs[caseName, default: []].append((run, taskID == task.id))
        }
        // Each failing test looked up by its key in every one of those runs; a run's keys in the index's order.
        var keysByRun: [UUID: Set<Int64>] = [:]
        for test in failing {
            for run in runs[test.identity.case] ?? [] { keysByRun[run.run, default: []].insert(test.key) }
        }
        let lookups = keysByRun.flatMap { run, keys in keys.sorted().map { (run: run, key: $0) } }
        struct Seen: Hashable {
            var run: UUID
            var classname: String
            var name: String
        }
        var passed = Set<Seen>()
        var present = Set<Seen>()
        for try await (run, classname, name, status) in try await transaction.query(
            """
            SELECT p.run_id, t.classname, t.name, t.status
            FROM unnest(\(lookups.map(\.run))::uuid[], \(lookups.map(\.key))::bigint[]) AS p(run_id, key)
            CROSS JOIN LATERAL (
                SELECT t.classname, t.name, t.status FROM case_tests t WHERE t.run_id = p.run_id AND t.key = p.key
                OFFSET 0
            ) t
            """
        ).decode((UUID, String, String, String).self) {
            let seen = Seen(run: run, classname: classname, name: name)
            present.insert(seen)
            if status == TestStatus.passed.rawValue { passed.insert(seen) }
        }
        var flipped = Set<TestFindings.Identity>()
        for test in failing {
            let identity = test.identity
            let caseRuns = runs[identity.case] ?? []
            func seen(_ run: UUID) -> Seen { Seen(run: run, classname: identity.classname, name: identity.name) }
            if caseRuns.contains(where: { passed.contains(seen($0.run)) }),
                caseRuns.contains(where: { $0.current && present.contains(seen($0.run)) })
            {
                flipped.insert(identity)
            }
        }
        return flipped.sorted { ($0.case, $0.classname, $0.name) < ($1.case, $1.classname, $1.name) }
            .prefix(TaskReport.testsListed).map { $0 }
    }

    /// The final run of each case of a task that reported tests, read by the task's final runs.
    private func finalRuns(
        of taskID: Int64,
        _ transaction: Transaction
    ) async throws -> [(caseID: Int64, name: String, ordinal: Int64, run: UUID)] {
        var out: [(caseID: Int64, name: String, ordinal: Int64, run: UUID)] = []
        for try await row in try await transaction.query(
            """
            SELECT k.id, k.name, k.ordinal::bigint, rt.run_id FROM run_tests rt JOIN cases k ON k.id = rt.case_id
            WHERE rt.task_id = \(taskID) AND rt.final
            """
        ).decode((Int64, String, Int64, UUID).self) {
            out.append(row)
        }
        return out
    }

    /// The task's tests summed over the final attempt of each case; `nil` when no case reported tests.
    private func counts(taskID: Int64, transaction: Transaction) async throws -> TestCounts? {
        guard
            let row = try await transaction.query(
                """
                SELECT sum(total)::int, sum(passed)::int, sum(failed)::int, sum(error)::int, sum(skipped)::int
                FROM run_tests WHERE task_id = \(taskID) AND final
                """
            ).first()
        else { return nil }
        let (total, passed, failed, error, skipped) = try row.decode((Int?, Int?, Int?, Int?, Int?).self)
        return TestRepository.counts(total, passed, failed, error, skipped)
    }

    /// Tests named by `query` (case id, case name, class name, name, status, message, total), with the total.
    private func tests(_ query: PostgresQuery, _ transaction: Transaction) async throws -> (tests: [ReportTest], total: Int) {
        var tests: [ReportTest] = []
        var total = 0
        for try await (caseID, caseName, classname, name, status, message, count) in try await transaction.query(query)
            .decode((Int64, String, String, String, String, String?, Int).self)
        {
            tests.append(
                ReportTest(
                    caseId: caseID,
                    case: caseName,
                    classname: classname,
                    name: name,
                    status: TestStatus(rawValue: status) ?? .error,
                    message: message
                )
            )
            total = count
        }
        return (tests, total)
    }

    private func identities(_ query: PostgresQuery, _ transaction: Transaction) async throws -> [TestFindings.Identity] {
        var out: [TestFindings.Identity] = []
        for try await (caseName, classname, name) in try await transaction.query(query).decode((String, String, String).self) {
            out.append(.init(case: caseName, classname: classname, name: name))
        }
        return out
    }
}

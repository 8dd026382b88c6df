import Foundation
import PostgresNIO
import WireProtocol

/// Reading the tests of cases: a case's tests one page at a time, one test with its output, and test counts of
/// tasks summed over the final attempt of each case.
struct TestRepository: Sendable {
    let database: Database

    /// The columns of a test, from `case_tests t`: as the list shows it, then its output where the query has it.
    static let columns = "t.n, t.classname, t.name, t.status, t.duration_ms, t.message, t.flaky"

    /// A test from a row that starts with ``columns``; `output` is the column after them, when there is one.
    static func test(_ row: PostgresRow, output: Bool = false) throws -> CaseTest {
        let cells = row.makeRandomAccess()
        return CaseTest(
            n: try cells[0].decode(Int.self),
            classname: try cells[1].decode(String.self),
            name: try cells[2].decode(String.self),
            status: TestStatus(rawValue: try cells[3].decode(String.self)) ?? .error,
            durationMs: try cells[4].decode(Int64?.self),
            message: try cells[5].decode(String?.self),
            flaky: try cells[6].decode(Bool.self) ? true : nil,
            output: output ? try cells[7].decode(String?.self) : nil
        )
    }

    /// The counts of a run's tests, from `run_tests rt`, for rows that may have none (`LEFT JOIN`).
    static let countColumns = "rt.total, rt.passed, rt.failed, rt.error, rt.skipped"

    /// Counts from their five columns (total, passed, failed, error, skipped); `nil` when there are none.
    static func counts(_ total: Int?, _ passed: Int?, _ failed: Int?, _ error: Int?, _ skipped: Int?) -> TestCounts? {
        guard let total else { return nil }
        return TestCounts(total: total, passed: passed ?? 0, failed: failed ?? 0, error: error ?? 0, skipped: skipped ?? 0)
    }

    /// The tests of a case's final attempt in file order, optionally of one status; the cursor is the last `n`.
    func tests(caseID: Int64, _ pagination: Pagination, status: TestStatus?) async throws -> Page<CaseTest> {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns) FROM run_tests rt JOIN case_tests t ON t.run_id = rt.run_id
            WHERE rt.case_id = \(caseID) AND rt.final AND t.n > \(pagination.after ?? 0)
              AND (\(status?.rawValue)::text IS NULL OR t.status = \(status?.rawValue))
            ORDER BY t.n LIMIT \(pagination.limit + 1)
            """
        ).all()
        if rows.isEmpty { try await requireCase(caseID) }
        return pagination.page(try rows.map { try Self.test($0) }, id: { Int64($0.n) })
    }

    /// One test of a case's final attempt, with its output.
    func test(caseID: Int64, n: Int) async throws -> CaseTest {
        guard
            let row = try await database.query(
                """
                SELECT \(unescaped: Self.columns), t.output FROM run_tests rt JOIN case_tests t ON t.run_id = rt.run_id
                WHERE rt.case_id = \(caseID) AND rt.final AND t.n = \(n)
                """
            ).first()
        else {
            try await requireCase(caseID)
            throw StoreError.notFound("case \(caseID) has no test \(n)")
        }
        return try Self.test(row, output: true)
    }

    private func requireCase(_ caseID: Int64) async throws {
        guard try await database.query("SELECT 1 FROM cases WHERE id = \(caseID)").first() != nil else {
            throw StoreError.notFound("no case \(caseID)")
        }
    }

    /// The tests of each case's final attempt by case ordinal, in file order, with output for failing ones only:
    /// what a task's JUnit XML holds.
    func exportedTests(taskID: Int64) async throws -> [Int: [CaseTest]] {
        var tests: [Int: [CaseTest]] = [:]
        for row in try await database.query(
            """
            SELECT \(unescaped: Self.columns), CASE WHEN t.status IN ('failed', 'error') THEN t.output END, k.ordinal
            FROM run_tests rt JOIN cases k ON k.id = rt.case_id JOIN case_tests t ON t.run_id = rt.run_id
            WHERE rt.task_id = \(taskID) AND rt.final ORDER BY k.ordinal, t.n
            """
        ).all() {
            tests[try row.makeRandomAccess()[8].decode(Int.self), default: []].append(try Self.test(row, output: true))
        }
        return tests
    }

    /// Test counts of each task that has tests, summed over the final attempt of each case.
    func counts(taskIDs: [Int64]) async throws -> [Int64: TestCounts] {
        guard !taskIDs.isEmpty else { return [:] }
        var out: [Int64: TestCounts] = [:]
        for try await (taskID, total, passed, failed, error, skipped) in try await database.query(
            """
            SELECT task_id, sum(total)::int, sum(passed)::int, sum(failed)::int, sum(error)::int, sum(skipped)::int
            FROM run_tests WHERE task_id = ANY(\(taskIDs)) AND final GROUP BY task_id
            """
        ).decode((Int64, Int, Int, Int, Int, Int).self) {
            out[taskID] = TestCounts(total: total, passed: passed, failed: failed, error: error, skipped: skipped)
        }
        return out
    }
}

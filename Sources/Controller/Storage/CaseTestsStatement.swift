import Foundation
import PostgresNIO
import WireProtocol

/// Stores the tests of one run in one statement: the rows from arrays (`unnest`, one array per column) and the
/// run's counts, marked final when the run decides its case. The run's case and task are read from its row.
struct CaseTestsStatement: PostgresPreparedStatement {
    /// The name it is prepared under on each connection. Given, not left to the default, which works the type's
    /// name out by reflection on every run.
    static let name = "testfleet_case_tests"

    static let sql = """
        WITH stored AS (
            INSERT INTO case_tests (run_id, n, classname, name, status, duration_ms, message, output, flaky)
            SELECT $1, t.n::int, t.classname, t.name, t.status, nullif(t.duration_ms, -1), nullif(t.message, ''),
                   nullif(t.output, ''), t.flaky
            FROM unnest($2::text[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], $8::bool[])
                WITH ORDINALITY AS t (classname, name, status, duration_ms, message, output, flaky, n)
        )
        INSERT INTO run_tests (run_id, case_id, task_id, final, total, passed, failed, error, skipped)
        SELECT r.id, r.case_id, k.task_id, $9, $10, $11, $12, $13, $14
        FROM case_runs r JOIN cases k ON k.id = r.case_id WHERE r.id = $1
        """

    typealias Row = Void

    var runID: UUID
    var tests: [TestRecord]
    /// The run ends its case (no retry follows): the case reports these tests.
    var final: Bool

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(runID)
        // Arrays cannot hold NULL here: -1 and "" stand for it.
        bindings.append(tests.map(\.classname))
        bindings.append(tests.map(\.name))
        bindings.append(tests.map(\.status.rawValue))
        bindings.append(tests.map { $0.durationMs ?? -1 })
        bindings.append(tests.map { $0.message ?? "" })
        bindings.append(tests.map { $0.output ?? "" })
        bindings.append(tests.map { $0.flaky ?? false })
        let counts = TestCounts(tests.map(\.status))
        bindings.append(final)
        bindings.append(counts.total)
        bindings.append(counts.passed)
        bindings.append(counts.failed)
        bindings.append(counts.error)
        bindings.append(counts.skipped)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}

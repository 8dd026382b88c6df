import Foundation
import PostgresNIO
import WireProtocol

/// A task's cases: their columns, a page of them, and one with its attempts.
extension TaskRepository {
    static let caseColumns = """
        k.id, k.task_id, k.ordinal, k.name, k.state, n.id, n.name, k.attempts, k.duration_ms, k.exit_code,
        k.message, k.started_at, k.finished_at, rt.total, rt.passed, rt.failed, rt.error, rt.skipped
        """

    /// The joins ``caseColumns`` need after `FROM cases k`: the node, and the counts of the final run's tests.
    static let caseJoins = "LEFT JOIN nodes n ON n.id = k.node_id LEFT JOIN run_tests rt ON rt.case_id = k.id AND rt.final"

    static func caseInfo(_ row: PostgresRow) throws -> CaseInfo {
        let (
            id, taskID, ordinal, name, state, nodeID, nodeName, attempts, duration, exitCode, message, started,
            finished, total, passed, failed, error, skipped
        ) = try row.decode(
            (
                Int64, Int64, Int, String, String, Int64?, String?, Int, Int64?, Int?, String?, Date?, Date?, Int?, Int?,
                Int?, Int?, Int?
            ).self
        )
        let node = nodeID.flatMap { id in nodeName.map { NodeSummary(id: id, name: $0) } }
        return CaseInfo(
            id: id,
            taskId: taskID,
            ordinal: ordinal,
            name: name,
            state: CaseState(rawValue: state) ?? .queued,
            node: node,
            attempts: attempts,
            durationMs: duration,
            exitCode: exitCode,
            message: message,
            startedAt: started,
            finishedAt: finished,
            tests: TestRepository.counts(total, passed, failed, error, skipped)
        )
    }

    /// A task's cases in submission order; the cursor is the last ordinal.
    func cases(taskID: Int64, _ pagination: Pagination, state: CaseState?) async throws -> Page<CaseInfo> {
        let exists = try await database.query("SELECT 1 FROM tasks WHERE id = \(taskID)").first() != nil
        guard exists else { throw try await absence(of: taskID) }
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.caseColumns) FROM cases k \(unescaped: Self.caseJoins)
            WHERE k.task_id = \(taskID) AND k.ordinal > \(pagination.after ?? 0)
              AND (\(state?.rawValue)::text IS NULL OR k.state = \(state?.rawValue))
            ORDER BY k.ordinal LIMIT \(pagination.limit + 1)
            """
        ).all()
        return pagination.page(try rows.map(Self.caseInfo), id: { Int64($0.ordinal) })
    }

    func caseDetail(id: Int64) async throws -> CaseDetail {
        guard
            let row = try await database.query(
                """
                SELECT \(unescaped: Self.caseColumns), t.name, t.state, t.logs_deleted_at, \(unescaped: Self.submitter)
                FROM cases k \(unescaped: Self.caseJoins)
                JOIN tasks t ON t.id = k.task_id LEFT JOIN users u ON u.id = t.submitted_by
                WHERE k.id = \(id)
                """
            ).first()
        else { throw StoreError.notFound("no case \(id)") }
        let info = try Self.caseInfo(row)
        let random = row.makeRandomAccess()
        let taskName = try random[18].decode(String.self)
        let taskState = try random[19].decode(String.self)
        let logsDeletedAt = try random[20].decode(Date?.self)
        let submittedBy = try random[21].decode(String?.self)
        let runs = try await database.query(
            """
            SELECT r.id, r.attempt, n.id, n.name, r.outcome, r.exit_code, r.duration_ms, r.message, r.leased_at,
                   r.started_at, r.ended_at, r.lease_expires_at, r.log_bytes, \(unescaped: TestRepository.countColumns)
            FROM case_runs r JOIN nodes n ON n.id = r.node_id LEFT JOIN run_tests rt ON rt.run_id = r.id WHERE r.case_id = \(id) ORDER BY r.attempt
            """
        ).all().map { row in
            let (
                runID, attempt, nodeID, nodeName, outcome, exitCode, duration, message, leased, started, ended,
                expires, logBytes, total, passed, failed, error, skipped
            ) = try row.decode(
                (
                    UUID, Int, Int64, String, String?, Int?, Int64?, String?, Date, Date?, Date?, Date, Int64, Int?, Int?,
                    Int?, Int?, Int?
                ).self
            )
            return CaseRun(
                id: runID,
                attempt: attempt,
                node: NodeSummary(id: nodeID, name: nodeName),
                outcome: outcome.flatMap(RunOutcome.init(rawValue:)),
                exitCode: exitCode,
                durationMs: duration,
                message: message,
                leasedAt: leased,
                startedAt: started,
                endedAt: ended,
                leaseExpiresAt: expires,
                logBytes: logBytes,
                tests: TestRepository.counts(total, passed, failed, error, skipped)
            )
        }
        return CaseDetail(
            case: info,
            task: TaskSummary(
                id: info.taskId,
                name: taskName,
                state: TaskState(rawValue: taskState) ?? .queued,
                submittedBy: submittedBy
            ),
            runs: runs,
            logsDeletedAt: logsDeletedAt
        )
    }
}

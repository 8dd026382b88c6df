import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import WireProtocol

/// The SQL of the lease life cycle: lease the next case, renew, end, hand back. A node's common turn — end its
/// run and lease its next case — is one statement (``DispatchStatement``); everything off that path takes a short
/// transaction that ends the run in one place (``endRun(_:how:transaction:)``). The policy the SQL applies is
/// ``SchedulingSQL`` (which case goes where) and ``LeasePolicy`` (what becomes of a case after a run); its time is
/// ``clock``'s.
struct LeaseStore: Sendable {
    let database: Database
    let policy: LeasePolicy
    let clock: SchedulingClock
    let completion: TaskCompletion
    let logs: LogStore

    /// Takes the next case this node may run, or returns `nil` when there is none. `runID` becomes the lease's id.
    func lease(nodeID: Int64, runID: UUID = UUID()) async throws -> Lease? {
        try await dispatch(nodeID: nodeID, ending: nil, leaseNext: true, recordNext: false, runID: runID).lease
    }

    /// Runs ``DispatchStatement``: ends `ending` on the common path and, when asked, leases the node its next case.
    /// The tests of the result that ends the run, if any, are stored with it.
    func dispatch(
        nodeID: Int64,
        ending: DispatchStatement.Ending?,
        tests: [TestRecord] = [],
        leaseNext: Bool,
        recordNext: Bool,
        runID: UUID
    ) async throws -> (ended: Bool, lease: Lease?) {
        let statement = dispatchStatement(
            nodeID: nodeID,
            ending: ending,
            leaseNext: leaseNext,
            recordNext: recordNext,
            runID: runID
        )
        var row: DispatchStatement.Row?
        if let ending, !tests.isEmpty {
            row = try await execute(statement, tests: tests, run: ending.runID)
        } else {
            for try await found in try await database.execute(statement) { row = found }
        }
        guard let row else { return (false, nil) }
        return (row.ended, row.lease.map { lease($0, runID: runID, token: statement.token) })
    }

    /// Runs `statement` for a result that brings tests, in one transaction: the statement first (it takes the
    /// node's row first, as every ending does), then, when it ended the run, the tests. When it ended nothing, the
    /// transaction is rolled back and the answer is `nil`: the long way stores the tests with its own ending.
    private func execute(_ statement: DispatchStatement, tests: [TestRecord], run: UUID) async throws -> DispatchStatement.Row? {
        struct NotEnded: Error {}
        do {
            return try await database.transaction { transaction in
                var row: DispatchStatement.Row?
                for try await found in try await transaction.execute(statement) { row = found }
                guard let row, row.ended else { throw NotEnded() }
                let stored = CaseTestsStatement(runID: run, tests: tests, final: true)
                for try await _ in try await transaction.execute(stored) {}
                return row
            }
        } catch is NotEnded {
            return nil
        }
    }

    private func dispatchStatement(
        nodeID: Int64,
        ending: DispatchStatement.Ending?,
        leaseNext: Bool,
        recordNext: Bool,
        runID: UUID
    ) -> DispatchStatement {
        DispatchStatement(
            nodeID: nodeID,
            ending: ending,
            leaseNext: leaseNext,
            recordNext: recordNext,
            runID: runID,
            token: Int64.random(in: 1...Int64.max),
            ttlSeconds: Double(policy.leaseTTLSeconds),
            agingSeconds: Double(policy.agingIntervalSeconds),
            maxLogBytes: logs.maxBytesPerRun,
            now: clock.now
        )
    }

    /// The plan of the lease statement as PostgreSQL runs it for `nodeID` (EXPLAIN ANALYZE, BUFFERS), in a
    /// transaction that is rolled back, so nothing is leased.
    func explainLease(nodeID: Int64) async throws -> String {
        let explain = PostgresQuery(
            unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + DispatchStatement.sql,
            binds: try dispatchStatement(nodeID: nodeID, ending: nil, leaseNext: true, recordNext: false, runID: UUID())
                .makeBindings()
        )
        struct Rollback: Error {}
        let plan = Mutex("")
        do {
            try await database.transaction { transaction in
                let lines = try await transaction.query(explain).collect(String.self)
                plan.withLock { $0 = lines.joined(separator: "\n") }
                throw Rollback()
            }
        } catch is Rollback {}
        return plan.withLock { $0 }
    }

    private func lease(_ columns: LeaseColumns, runID: UUID, token: Int64) -> Lease {
        lease(
            runID: runID,
            token: token,
            expiresAt: columns.expiresAt,
            caseID: columns.caseID,
            caseName: columns.caseName,
            taskID: columns.taskID,
            attempt: columns.attempt,
            product: columns.product,
            tool: columns.tool,
            runCommand: columns.runCommand,
            timeoutS: columns.timeoutS
        )
    }

    private func lease(
        runID: UUID,
        token: Int64,
        expiresAt: Date,
        caseID: Int64,
        caseName: String,
        taskID: Int64,
        attempt: Int,
        product: LeasedItem,
        tool: LeasedItem,
        runCommand: String,
        timeoutS: Int
    ) -> Lease {
        Lease(
            leaseId: runID,
            token: token,
            expiresAt: expiresAt,
            heartbeatIntervalS: policy.heartbeatIntervalSeconds,
            caseId: caseID,
            caseName: caseName,
            taskId: taskID,
            attempt: attempt,
            commandTemplate: runCommand,
            product: product,
            tool: tool,
            timeoutS: timeoutS
        )
    }

    /// The lease of a case handed to a waiting node as its task was stored: what the lease statement would
    /// have returned for it.
    func lease(_ handed: TaskRepository.Handed, of stored: TaskRepository.Stored) -> Lease {
        let task = stored.task
        return lease(
            runID: handed.runID,
            token: handed.token,
            expiresAt: handed.expiresAt,
            caseID: handed.caseID,
            caseName: handed.caseName,
            taskID: stored.id,
            attempt: 1,
            product: LeasedItem(name: task.product.name, version: task.product.version, path: handed.productPath),
            tool: LeasedItem(name: task.tool.name, version: task.tool.version, path: handed.toolPath),
            runCommand: task.runCommand,
            timeoutS: task.caseTimeoutS
        )
    }

    /// A lease of `nodeID` that is still open and was never renewed, as it was handed out: for a result posted
    /// again after the answer that carried this lease was lost.
    func unclaimedLease(runID: UUID, nodeID: Int64) async throws -> Lease? {
        guard
            let found = try await database.query(
                """
                SELECT r.lease_token, \(unescaped: LeaseColumns.sql)
                FROM case_runs r
                JOIN (
                    SELECT k.id, k.name, k.task_id, k.attempts, np.install_path AS product_path,
                           nt.install_path AS tool_path, k.current_run_id
                    FROM cases k JOIN tasks t ON t.id = k.task_id
                    JOIN node_products np ON np.node_id = \(nodeID) AND np.product_id = t.product_id
                    JOIN node_tools nt ON nt.node_product_id = np.id AND nt.tool_id = t.tool_id
                ) l ON l.id = r.case_id AND l.current_run_id = r.id
                JOIN tasks t ON t.id = l.task_id JOIN products pr ON pr.id = t.product_id JOIN tools tl ON tl.id = t.tool_id
                WHERE r.id = \(runID) AND r.node_id = \(nodeID) AND r.outcome IS NULL AND r.started_at IS NULL
                  AND r.lease_expires_at > \(clock.now)
                LIMIT 1
                """
            ).first()
        else { return nil }
        let columns = found.makeRandomAccess()
        return try LeaseColumns(columns, from: 1).map { lease($0, runID: runID, token: try columns[0].decode(Int64.self)) }
    }

    /// Renews a lease; the answer says whether the case or its task was cancelled.
    func heartbeat(runID: UUID, nodeID: Int64, token: Int64) async throws -> HeartbeatResponse {
        let ttl = Double(policy.leaseTTLSeconds)
        let now = clock.now
        let rows = try await database.query(
            """
            WITH renewed AS (
                UPDATE case_runs SET lease_expires_at = \(now) + make_interval(secs => \(ttl)),
                    started_at = coalesce(started_at, \(now))
                WHERE id = \(runID) AND node_id = \(nodeID) AND lease_token = \(token) AND outcome IS NULL
                RETURNING case_id, lease_expires_at, cancel_requested_at
            ),
            started AS (
                -- The case by its key: planned on statistics from before the fleet got busy, a join read every
                -- leased and running case.
                UPDATE cases k SET state = 'running', started_at = coalesce(k.started_at, \(now)), updated_at = \(now)
                WHERE k.id = (SELECT case_id FROM renewed) AND k.state = 'leased' AND k.current_run_id = \(runID)
                RETURNING k.id
            )
            SELECT r.lease_expires_at, t.state = 'cancelled' OR r.cancel_requested_at IS NOT NULL
            FROM renewed r JOIN cases k ON k.id = r.case_id JOIN tasks t ON t.id = k.task_id
            """
        ).all()
        guard let row = rows.first else { throw try await refusal(runID: runID, nodeID: nodeID, token: token) }
        let (expires, cancel) = try row.decode((Date, Bool).self)
        return HeartbeatResponse(cancel: cancel, expiresAt: expires)
    }

    /// Why a lease id cannot be acted on, for 403/404/409 answers.
    func refusal(runID: UUID, nodeID: Int64, token: Int64) async throws -> StoreError {
        guard
            let row = try await database.query(
                "SELECT node_id, lease_token, outcome FROM case_runs WHERE id = \(runID)"
            ).first()
        else { return .notFound("no lease \(runID)") }
        let (owner, actualToken, outcome) = try row.decode((Int64, Int64, String?).self)
        return LeaseCheck.refusal(runID: runID, nodeID: nodeID, token: token, owner: owner, actualToken: actualToken, outcome: outcome)
            ?? .conflict("lease \(runID) is no longer valid")
    }
}

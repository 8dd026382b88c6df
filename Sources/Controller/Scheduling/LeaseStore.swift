import Foundation
import Logging
import PostgresNIO
import Synchronization
import WireProtocol

/// The SQL of the lease life cycle: take the next case, renew, finish. Each step is one statement or one
/// short transaction; the policy they apply is described in ``LeasePolicy``.
struct LeaseStore: Sendable {
    let database: Database
    let policy: LeasePolicy
    let completion: TaskCompletion

    /// Takes the next case this node may run, or returns `nil` when there is none.
    ///
    /// One statement: the node must be online with a free slot; candidate tasks are those whose product and
    /// tool the node has installed, ranked by aged priority, then by how much the submitting user and the
    /// task already run (fair share), then by age. For each candidate in rank order, its next queued case
    /// (longest expected first, then submission order) is locked with `SKIP LOCKED`; the first hit is leased.
    func lease(nodeID: Int64) async throws -> Lease? {
        let statement = leaseStatement(nodeID: nodeID)
        var row: LeaseStatement.Row?
        for try await found in try await database.execute(statement) { row = found }
        return row.map { lease(from: $0, runID: statement.runID, token: statement.token) }
    }

    private func leaseStatement(nodeID: Int64) -> LeaseStatement {
        LeaseStatement(
            nodeID: nodeID,
            agingSeconds: Double(policy.agingIntervalSeconds),
            runID: UUID(),
            ttlSeconds: Double(policy.leaseTTLSeconds),
            token: Int64.random(in: 1...Int64.max)
        )
    }

    /// The plan of the lease statement as PostgreSQL runs it for `nodeID` (EXPLAIN ANALYZE, BUFFERS), in a
    /// transaction that is rolled back, so nothing is leased.
    func explainLease(nodeID: Int64) async throws -> String {
        let explain = PostgresQuery(
            unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + LeaseStatement.sql,
            binds: try leaseStatement(nodeID: nodeID).makeBindings()
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

    private func lease(from row: LeaseStatement.Row, runID: UUID, token: Int64) -> Lease {
        let (
            caseID, caseName, taskID, attempt, expires, productPath, toolPath, productName, productVersion, toolName,
            toolVersion, runCommand, timeout
        ) = row
        let values = CommandTemplate.Values(
            caseName: caseName,
            productDirectory: productPath,
            toolDirectory: toolPath,
            productVersion: productVersion
        )
        return Lease(
            leaseId: runID,
            token: token,
            expiresAt: expires,
            heartbeatIntervalS: policy.heartbeatIntervalSeconds,
            caseId: caseID,
            caseName: caseName,
            taskId: taskID,
            attempt: attempt,
            commandTemplate: CommandTemplate.render(runCommand, values),
            product: LeasedItem(name: productName, version: productVersion, path: productPath),
            tool: LeasedItem(name: toolName, version: toolVersion, path: toolPath),
            timeoutS: timeout
        )
    }

    /// The lease of a case handed to a waiting node as its task was stored: what the lease statement would
    /// have returned for it.
    func lease(_ handed: TaskRepository.Handed, of stored: TaskRepository.Stored) -> Lease {
        let task = stored.task
        let row: LeaseStatement.Row = (
            handed.caseID, handed.caseName, stored.id, 1, handed.expiresAt, handed.productPath, handed.toolPath,
            task.product.name, task.product.version, task.tool.name, task.tool.version, task.runCommand,
            task.caseTimeoutS
        )
        return lease(from: row, runID: handed.runID, token: handed.token)
    }

    /// Takes back a lease that never reached its agent: the case is queued again as if never leased.
    func release(runID: UUID) async throws {
        try await database.transaction { transaction in
            let rows = try await transaction.query(
                """
                DELETE FROM case_runs r USING cases k
                WHERE r.id = \(runID) AND r.outcome IS NULL AND k.id = r.case_id AND k.current_run_id = r.id
                RETURNING k.id
                """
            ).collect(Int64.self)
            guard let caseID = rows.first else { return }
            let row = try await transaction.query(
                """
                UPDATE cases k SET state = 'queued', current_run_id = NULL, node_id = NULL, leased_at = NULL,
                    attempts = k.attempts - 1, updated_at = now()
                FROM tasks t WHERE k.id = \(caseID) AND t.id = k.task_id
                RETURNING t.product_id, t.tool_id
                """
            ).first()
            if let row {
                let (product, tool) = try row.decode((Int64, Int64).self)
                let key = WorkKey(productID: product, toolID: tool)
                try await transaction.query(
                    "SELECT pg_notify(\(Notifications.channel), \(Notifications.work(key, count: 1)))"
                )
            }
        }
    }

    /// Why a lease id cannot be acted on, for 403/404/409 answers.
    private func refusal(runID: UUID, nodeID: Int64, token: Int64) async throws -> AppError {
        guard
            let row = try await database.query(
                "SELECT node_id, lease_token, outcome FROM case_runs WHERE id = \(runID)"
            ).first()
        else { return .notFound("no lease \(runID)") }
        let (owner, actualToken, outcome) = try row.decode((Int64, Int64, String?).self)
        if owner != nodeID { return .forbidden("lease \(runID) belongs to another node") }
        if actualToken != token { return .conflict("stale fencing token for lease \(runID)") }
        if outcome == RunOutcome.lost.rawValue {
            return .conflict("lease \(runID) expired and the case was handed back to the queue")
        }
        if let outcome { return .conflict("lease \(runID) already ended as \(outcome)") }
        return .conflict("lease \(runID) is no longer valid")
    }

    /// Renews a lease; the answer says whether the case was cancelled.
    func heartbeat(runID: UUID, nodeID: Int64, token: Int64) async throws -> HeartbeatResponse {
        let ttl = Double(policy.leaseTTLSeconds)
        let rows = try await database.query(
            """
            WITH renewed AS (
                UPDATE case_runs SET lease_expires_at = now() + make_interval(secs => \(ttl)),
                    started_at = coalesce(started_at, now())
                WHERE id = \(runID) AND node_id = \(nodeID) AND lease_token = \(token) AND outcome IS NULL
                RETURNING case_id, lease_expires_at
            ),
            started AS (
                UPDATE cases k SET state = 'running', started_at = coalesce(k.started_at, now()), updated_at = now()
                FROM renewed r WHERE k.id = r.case_id AND k.state = 'leased' AND k.current_run_id = \(runID)
                RETURNING k.id
            )
            SELECT r.lease_expires_at, t.state = 'cancelled' OR k.state = 'cancelled'
            FROM renewed r JOIN cases k ON k.id = r.case_id JOIN tasks t ON t.id = k.task_id
            """
        ).all()
        guard let row = rows.first else { throw try await refusal(runID: runID, nodeID: nodeID, token: token) }
        let (expires, cancel) = try row.decode((Date, Bool).self)
        return HeartbeatResponse(cancel: cancel, expiresAt: expires)
    }

    /// Records a case's result under its fencing token. The same result again is accepted and changes nothing.
    func finish(runID: UUID, nodeID: Int64, result: CaseResult) async throws {
        try CaseResultValidation.validate(result)
        let message = result.message.map { String($0.prefix(4000)) }
        try await database.transaction { transaction in
            var loaded: ResultLoadStatement.Row?
            for try await row in try await transaction.execute(ResultLoadStatement(runID: runID)) { loaded = row }
            guard let loaded else { throw AppError.notFound("no lease \(runID)") }
            let (caseID, owner, token, outcome, exitCode, storedMessage, currentRun, taskID, attempts, maxRetries, taskState) = loaded
            guard owner == nodeID else { throw AppError.forbidden("lease \(runID) belongs to another node") }
            guard token == result.token else { throw AppError.conflict("stale fencing token for lease \(runID)") }
            if let outcome {
                if outcome == result.status.rawValue && exitCode == result.exitCode && storedMessage == message {
                    return  // the same result again
                }
                if outcome == RunOutcome.lost.rawValue {
                    throw AppError.conflict("lease \(runID) expired and the case was handed back to the queue")
                }
                throw AppError.conflict("lease \(runID) already ended as \(outcome)")
            }
            guard currentRun == runID else { throw AppError.conflict("lease \(runID) is no longer the case's lease") }
            let decision = policy.afterResult(
                status: result.status,
                attempts: attempts,
                maxInfraRetries: maxRetries,
                taskCancelled: taskState == TaskState.cancelled.rawValue
            )
            switch decision {
            case .finish(let state, let note) where result.status != .error:
                // The common end of a case: one statement records the run, ends the case, learns the duration
                // and clears the node's failure count.
                let finalMessage = note.map { n in message.map { "\(n): \($0)" } ?? n } ?? message
                var queuedLeft = true
                for try await left in try await transaction.execute(
                    ResultFinishStatement(
                        runID: runID,
                        status: result.status.rawValue,
                        exitCode: result.exitCode,
                        durationMs: result.durationMs,
                        runMessage: message,
                        state: state.rawValue,
                        caseMessage: finalMessage,
                        learnDuration: state == .passed || state == .failed,
                        nodeID: nodeID
                    )
                ) {
                    queuedLeft = left
                }
                if !queuedLeft { try await completion.completeIfDone(taskID: taskID, transaction: transaction) }
            default:
                try await transaction.query(
                    """
                    UPDATE case_runs SET outcome = \(result.status.rawValue), exit_code = \(result.exitCode),
                        duration_ms = \(result.durationMs), message = \(message), ended_at = now()
                    WHERE id = \(runID)
                    """
                )
                if case .finish(let state, let note) = decision {
                    let finalMessage = note.map { n in message.map { "\(n): \($0)" } ?? n } ?? message
                    try await transaction.query(
                        """
                        UPDATE cases SET state = \(state.rawValue), current_run_id = NULL, duration_ms = \(result.durationMs),
                            exit_code = \(result.exitCode), message = \(finalMessage), finished_at = now(), updated_at = now()
                        WHERE id = \(caseID)
                        """
                    )
                } else {
                    try await requeue(
                        caseID: caseID,
                        nodeID: nodeID,
                        message: "retrying after error on node \(nodeID): \(message ?? "")",
                        transaction: transaction
                    )
                }
                try await recordNodeHealth(nodeID: nodeID, infraFailure: result.status == .error, transaction: transaction)
                if case .finish = decision { try await completion.completeIfDone(taskID: taskID, transaction: transaction) }
            }
        }
        database.metrics.results(status: result.status.rawValue).increment()
    }

    /// Puts a case back in the queue after an infrastructure failure on `nodeID`, to avoid that node for a
    /// while, and tells waiting agents.
    func requeue(caseID: Int64, nodeID: Int64, message: String, transaction: Transaction) async throws {
        let avoid = Double(policy.retryAvoidSeconds)
        let row = try await transaction.query(
            """
            UPDATE cases k SET state = 'queued', current_run_id = NULL, node_id = NULL, leased_at = NULL,
                started_at = NULL, message = \(String(message.prefix(4000))), avoid_node_id = \(nodeID),
                avoid_until = now() + make_interval(secs => \(avoid)), updated_at = now()
            FROM tasks t WHERE k.id = \(caseID) AND t.id = k.task_id
            RETURNING t.product_id, t.tool_id
            """
        ).first()
        if let row {
            let (product, tool) = try row.decode((Int64, Int64).self)
            try await transaction.query(
                """
                SELECT pg_notify(\(Notifications.channel), \(Notifications.work(WorkKey(productID: product, toolID: tool), count: 1)))
                """
            )
            database.metrics.casesRequeued.increment()
        }
    }

    /// Counts consecutive infrastructure failures of a node and disables it past the limit; any other
    /// outcome resets the count.
    func recordNodeHealth(nodeID: Int64, infraFailure: Bool, transaction: Transaction) async throws {
        if infraFailure {
            try await transaction.query(
                """
                UPDATE nodes SET consecutive_infra_failures = consecutive_infra_failures + 1,
                    state = CASE WHEN consecutive_infra_failures + 1 >= \(policy.nodeMaxInfraFailures)
                                  AND state IN ('online', 'draining') THEN 'disabled' ELSE state END,
                    state_reason = CASE WHEN consecutive_infra_failures + 1 >= \(policy.nodeMaxInfraFailures)
                                  AND state IN ('online', 'draining')
                        THEN 'disabled after ' || (consecutive_infra_failures + 1)
                             || ' consecutive infrastructure failures (error or lost runs)'
                        ELSE state_reason END,
                    updated_at = now()
                WHERE id = \(nodeID)
                """
            )
        } else {
            try await transaction.query(
                "UPDATE nodes SET consecutive_infra_failures = 0 WHERE id = \(nodeID) AND consecutive_infra_failures > 0"
            )
        }
    }
}

/// Checks a result's fields before anything is stored.
enum CaseResultValidation {
    static func validate(_ result: CaseResult) throws {
        guard result.durationMs >= 0 else { throw AppError.unprocessable("duration_ms: must not be negative") }
    }
}

import Foundation
import NIOCore
import PostgresNIO
import WireProtocol

extension LeaseStore {
    /// What recording a result did.
    enum Finished: Sendable, Equatable {
        /// Recorded in one statement (with its tests, in one transaction) with the lease of the node's next case,
        /// when that was asked for (`nil`: the node had nothing to run then).
        case dispatched(next: Lease?)
        /// Recorded the long way; the node's next case is still to be looked for.
        case recorded
        /// The same result again. `next` is the lease handed out with the first answer, if it is still unclaimed.
        case repeated(next: Lease?)
    }

    /// What a result's transaction found: the run ended now (`handedBack` when its case went back to the queue as
    /// handed back), or it had ended with the same result, and `next` was the lease handed out with it, if any.
    private enum Ending {
        case ended(handedBack: Bool)
        case alreadyEnded(next: UUID?)
    }

    /// The lease asked for with a result: its run id, recorded on the ended run, and whether the statement that
    /// records the result may lease it (not when the node's environment work must go first).
    struct NextLease: Sendable {
        var runID = UUID()
        var leaseNow = true
    }

    /// Records a case's result under its fencing token. With `next`, the node's next case is leased in the same
    /// statement on the common path, as run `next.runID`; either way the ended run records that id for the lease
    /// handed out with the answer. The same result again is accepted and changes nothing.
    func finish(runID: UUID, nodeID: Int64, result: CaseResult, next: NextLease? = nil) async throws -> Finished {
        let nextRunID = next?.runID
        try CaseResultValidation.validate(result)
        let message = result.message.map { String($0.prefix(4000)) }
        if result.status != .error,
            case .finish(let state, nil) = policy.afterResult(
                status: result.status,
                attempts: 1,
                maxInfraRetries: 0,
                cancelled: nil
            )
        {
            let ending = DispatchStatement.Ending(
                runID: runID,
                token: result.token,
                outcome: result.status.rawValue,
                exitCode: result.exitCode,
                durationMs: result.durationMs,
                runMessage: message,
                caseState: state.rawValue,
                caseMessage: message,
                learnDuration: policy.learnsDuration(state),
                logOffset: result.log?.offset,
                log: ByteBuffer(bytes: result.log?.data ?? Data())
            )
            let outcome = try await dispatch(
                nodeID: nodeID,
                ending: ending,
                tests: result.tests ?? [],
                leaseNext: next?.leaseNow ?? false,
                recordNext: next != nil,
                runID: nextRunID ?? UUID()
            )
            if outcome.ended {
                database.metrics.results(status: result.status.rawValue).increment()
                return .dispatched(next: outcome.lease)
            }
        }
        if let tail = result.log {
            _ = try await logs.append(
                runID: runID,
                nodeID: nodeID,
                token: result.token,
                offset: tail.offset,
                bytes: ByteBuffer(bytes: tail.data)
            )
        }
        let ending: Ending = try await database.transaction { transaction in
            try await lockNode(nodeID, transaction: transaction)
            guard let run = try await OpenRun.load(runID: runID, transaction: transaction) else {
                throw StoreError.notFound("no lease \(runID)")
            }
            if let refusal = LeaseCheck.refusal(
                runID: runID,
                nodeID: nodeID,
                token: result.token,
                owner: run.nodeID,
                actualToken: run.token,
                outcome: nil
            ) {
                throw refusal
            }
            if let outcome = run.outcome {
                if outcome == result.status.rawValue && run.exitCode == result.exitCode && run.message == message {
                    return .alreadyEnded(next: run.nextRunID)
                }
                throw LeaseCheck.refusal(
                    runID: runID,
                    nodeID: nodeID,
                    token: result.token,
                    owner: run.nodeID,
                    actualToken: run.token,
                    outcome: outcome
                )!
            }
            guard run.isCurrent else { throw StoreError.conflict("lease \(runID) is no longer the case's lease") }
            let decision = policy.afterResult(
                status: result.status,
                attempts: run.infraAttempts,
                maxInfraRetries: run.maxInfraRetries,
                cancelled: run.cancelled,
                handedBack: result.handedBack == true,
                handBacksBefore: run.handBacks
            )
            let final = if case .finish = decision { true } else { false }
            try await CaseTests.store(result.tests, of: run, final: final, transaction: transaction)
            try await endRun(
                run,
                how: RunEnd(
                    outcome: result.status.rawValue,
                    exitCode: result.exitCode,
                    durationMs: result.durationMs,
                    runMessage: message,
                    decision: decision,
                    noted: { note in note.map { n in message.map { "\(n): \($0)" } ?? n } ?? message },
                    requeueMessage: decision == .handBack
                        ? "handed back by node \(nodeID): \(message ?? "")"
                        : "retrying after error on node \(nodeID): \(message ?? "")",
                    infraFailure: result.status == .error,
                    nextRunID: nextRunID
                ),
                transaction: transaction
            )
            return .ended(handedBack: decision == .handBack)
        }
        switch ending {
        case .ended(let handedBack):
            database.metrics.results(status: handedBack ? "handed_back" : result.status.rawValue).increment()
            return .recorded
        case .alreadyEnded(let handed):
            guard nextRunID != nil, let handed else { return .repeated(next: nil) }
            return .repeated(next: try await unclaimedLease(runID: handed, nodeID: nodeID))
        }
    }

    /// How a run ends, for ``endRun(_:how:transaction:)``.
    struct RunEnd: Sendable {
        var outcome: String
        var exitCode: Int?
        var durationMs: Int64?
        var runMessage: String?
        var decision: LeasePolicy.Decision
        /// The case's message when it ends, from the decision's note.
        var noted: @Sendable (String?) -> String?
        var requeueMessage: String
        /// An infrastructure failure counts against the node's health; anything else but a hand-back clears it.
        var infraFailure: Bool
        /// The lease handed out with the answer to this result, if any.
        var nextRunID: UUID?
    }

    /// Ends an open run off the common path, in a transaction that holds its node's row: records the outcome, ends
    /// or requeues the case as `how.decision` says, frees the slot and the run's place in the running counts, keeps
    /// the node's health, and completes the task when this was its last case.
    func endRun(_ run: OpenRun, how end: RunEnd, transaction: Transaction) async throws {
        let now = clock.now
        // The values are bound in `v`, where the fragments of ``EndingSQL`` find them.
        let runEnded = EndingSQL.runEnded(
            outcome: "v.outcome",
            exitCode: "v.exit_code",
            durationMs: "coalesce(v.duration_ms, r.duration_ms)",
            message: "v.message",
            now: "v.now"
        )
        try await transaction.query(
            """
            WITH v AS (
                SELECT \(end.outcome)::text AS outcome, \(end.exitCode)::int AS exit_code, \(end.durationMs)::bigint AS duration_ms,
                    \(end.runMessage)::text AS message, \(now) AS now
            )
            UPDATE case_runs r SET \(unescaped: runEnded), next_run_id = \(end.nextRunID), handed_back = \(end.decision == .handBack)
            FROM v WHERE r.id = \(run.runID)
            """
        )
        switch end.decision {
        case .retry:
            try await requeue(caseID: run.caseID, nodeID: run.nodeID, message: end.requeueMessage, transaction: transaction)
        case .handBack:
            try await requeue(caseID: run.caseID, nodeID: nil, message: end.requeueMessage, transaction: transaction)
        case .finish(let state, let note):
            let caseEnded = EndingSQL.caseEnded(
                state: "v.state",
                durationMs: "coalesce(v.duration_ms, k.duration_ms)",
                exitCode: "coalesce(v.exit_code, k.exit_code)",
                message: "v.message",
                now: "v.now"
            )
            try await transaction.query(
                """
                WITH v AS (
                    SELECT \(state.rawValue)::text AS state, \(end.exitCode)::int AS exit_code,
                        \(end.durationMs)::bigint AS duration_ms, \(end.noted(note))::text AS message, \(now) AS now
                )
                UPDATE cases k SET \(unescaped: caseEnded) FROM v WHERE k.id = \(run.caseID)
                """
            )
            if let duration = end.durationMs, policy.learnsDuration(state) {
                let learned = EndingSQL.learnDuration(
                    """
                    SELECT p.name, tl.name, k.name, v.duration_ms::float8, v.duration_ms, 1, v.now
                    FROM v, cases k JOIN tasks t ON t.id = k.task_id JOIN products p ON p.id = t.product_id
                    JOIN tools tl ON tl.id = t.tool_id
                    WHERE k.id = v.case_id
                    """
                )
                try await transaction.query(
                    """
                    WITH v AS (SELECT \(run.caseID)::bigint AS case_id, \(duration)::bigint AS duration_ms, \(now) AS now)
                    \(unescaped: learned)
                    """
                )
            }
        }
        try await releaseSlot(nodeID: run.nodeID, taskID: run.taskID, userID: run.userID, transaction: transaction)
        // A hand-back says nothing of the node: it neither counts as a failure nor clears the failures before it.
        if end.decision != .handBack {
            try await recordNodeHealth(nodeID: run.nodeID, infraFailure: end.infraFailure, transaction: transaction)
        }
        if case .finish = end.decision { try await completion.completeIfDone(taskID: run.taskID, transaction: transaction) }
    }

    /// Takes the node's row for the rest of the transaction: first of the locks anything about its leases takes.
    func lockNode(_ nodeID: Int64, transaction: Transaction) async throws {
        try await transaction.query("SELECT 1 FROM nodes WHERE id = \(nodeID) FOR NO KEY UPDATE")
    }

    /// Gives back the slot a run held on its node and its place in the running counts of its task and user.
    func releaseSlot(nodeID: Int64, taskID: Int64, userID: Int64, transaction: Transaction) async throws {
        let shard = Int16(nodeID % Int64(SchedulingSQL.shards))
        try await transaction.query(
            """
            WITH freed AS (UPDATE nodes SET busy = busy - 1 WHERE id = \(nodeID)),
            changes (scope, owner_id, shard, delta) AS (
                VALUES ('task', \(taskID)::bigint, \(shard)::smallint, -1), ('user', \(userID)::bigint, \(shard)::smallint, -1)
            )
            \(unescaped: SchedulingSQL.applyCounts("changes"))
            """
        )
    }

    /// Takes back a lease that never reached its agent: the case is queued again as if never leased, or ends
    /// cancelled when it was cancelled meanwhile.
    func release(runID: UUID) async throws {
        try await database.transaction { transaction in
            guard
                let owner = try await transaction.query(
                    "SELECT node_id FROM case_runs WHERE id = \(runID) AND outcome IS NULL"
                ).collect(Int64.self).first
            else { return }
            try await lockNode(owner, transaction: transaction)
            guard
                let deleted = try await transaction.query(
                    """
                    DELETE FROM case_runs r USING cases k
                    WHERE r.id = \(runID) AND r.outcome IS NULL AND k.id = r.case_id AND k.current_run_id = r.id
                    RETURNING k.id, r.cancel_requested_at IS NOT NULL
                    """
                ).first()
            else { return }
            let (caseID, cancelled) = try deleted.decode((Int64, Bool).self)
            let now = clock.now
            let row = try await transaction.query(
                """
                UPDATE cases k SET state = CASE WHEN \(cancelled) THEN 'cancelled' ELSE 'queued' END,
                    current_run_id = NULL, node_id = NULL, leased_at = NULL, attempts = k.attempts - 1,
                    message = CASE WHEN \(cancelled) THEN 'cancelled before it ran' ELSE k.message END,
                    finished_at = CASE WHEN \(cancelled) THEN \(now) END, updated_at = \(now)
                FROM tasks t WHERE k.id = \(caseID) AND t.id = k.task_id
                RETURNING t.id, t.submitted_by, t.product_id, t.tool_id, cardinality(t.labels) > 0
                """
            ).first()
            if let row {
                let (task, user, product, tool, labelled) = try row.decode((Int64, Int64, Int64, Int64, Bool).self)
                try await releaseSlot(nodeID: owner, taskID: task, userID: user, transaction: transaction)
                if cancelled {
                    try await completion.completeIfDone(taskID: task, transaction: transaction)
                } else {
                    let key = WorkKey(productID: product, toolID: tool)
                    try await transaction.query(
                        "SELECT pg_notify(\(Notifications.channel), \(Notifications.work(key, count: 1, labelled: labelled)))"
                    )
                }
            }
        }
    }

    /// Puts a case back in the queue after an infrastructure failure on `nodeID`, to avoid that node for a
    /// while (`nil`: no node, for a case handed back), and tells waiting agents.
    func requeue(caseID: Int64, nodeID: Int64?, message: String, transaction: Transaction) async throws {
        let avoid = Double(policy.retryAvoidSeconds)
        let now = clock.now
        let row = try await transaction.query(
            """
            UPDATE cases k SET state = 'queued', current_run_id = NULL, node_id = NULL, leased_at = NULL,
                started_at = NULL, message = \(String(message.prefix(4000))), avoid_node_id = \(nodeID),
                avoid_until = CASE WHEN \(nodeID)::bigint IS NOT NULL THEN \(now) + make_interval(secs => \(avoid)) END,
                updated_at = \(now)
            FROM tasks t WHERE k.id = \(caseID) AND t.id = k.task_id
            RETURNING t.product_id, t.tool_id, cardinality(t.labels) > 0
            """
        ).first()
        if let row {
            let (product, tool, labelled) = try row.decode((Int64, Int64, Bool).self)
            let work = Notifications.work(WorkKey(productID: product, toolID: tool), count: 1, labelled: labelled)
            try await transaction.query("SELECT pg_notify(\(Notifications.channel), \(work))")
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
                    updated_at = \(clock.now)
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

/// A run that has not ended, with its case and task, as the long way of ending it needs them; its run and case
/// rows are locked.
struct OpenRun: Sendable {
    var runID: UUID
    var caseID: Int64
    var nodeID: Int64
    var token: Int64
    var outcome: String?
    var exitCode: Int?
    var message: String?
    var isCurrent: Bool
    var taskID: Int64
    var userID: Int64
    var attempts: Int
    /// The case's runs its agents handed back as they shut down.
    var handBacks: Int
    var maxInfraRetries: Int
    var taskCancelled: Bool
    /// The run was asked to stop because its case alone was cancelled.
    var caseCancelled: Bool
    var nextRunID: UUID?

    /// The case's attempts that were not handed back: what its retry limit counts.
    var infraAttempts: Int { attempts - handBacks }

    /// What was cancelled while the run was under way, the task first.
    var cancelled: LeasePolicy.Cancellation? { taskCancelled ? .task : caseCancelled ? .case : nil }

    static let columns = """
        r.id, r.case_id, r.node_id, r.lease_token, r.outcome, r.exit_code, r.message,
        coalesce(k.current_run_id = r.id, false),
        k.task_id, t.submitted_by, k.attempts,
        \(EndingSQL.handBacks(of: "k.id")),
        t.max_infra_retries, t.state = 'cancelled', r.cancel_requested_at IS NOT NULL, r.next_run_id
        """

    /// How many columns ``columns`` has: a query may add its own after them.
    static let columnCount = 16

    static let joins = "FROM case_runs r JOIN cases k ON k.id = r.case_id JOIN tasks t ON t.id = k.task_id"

    init(_ row: PostgresRow) throws {
        (
            runID, caseID, nodeID, token, outcome, exitCode, message, isCurrent, taskID, userID, attempts, handBacks,
            maxInfraRetries, taskCancelled, caseCancelled, nextRunID
        ) = try row.decode(
            (UUID, Int64, Int64, Int64, String?, Int?, String?, Bool, Int64, Int64, Int, Int, Int, Bool, Bool, UUID?).self
        )
    }

    /// The run `runID`, its run and case rows locked.
    static func load(runID: UUID, transaction: Transaction) async throws -> OpenRun? {
        try await transaction.query(
            "SELECT \(unescaped: columns) \(unescaped: joins) WHERE r.id = \(runID) FOR UPDATE OF r, k"
        ).first().map(OpenRun.init)
    }
}

import AsyncSupport
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import WireProtocol

/// Finds leases that expired without a heartbeat, records their runs as `lost` and hands the cases back to
/// the queue (or ends them as `error` past the retry limit); marks silent nodes offline; lifts expired
/// retry avoidances. One replica at a time acts, under an advisory lock (``SingletonLoop``). What has expired is
/// decided by the scheduling clock: a test that moves its clock past the interval runs the next pass, or runs one at once with ``sweep()``.
struct Reaper: Service {
    /// The advisory lock key of the reaper ("tfreaper" in ASCII).
    static let lockKey: Int64 = 0x7466_7265_6170_6572

    let services: ControllerServices

    func run() async throws {
        try await SingletonLoop(
            name: "reaper",
            lockKey: Self.lockKey,
            interval: .milliseconds(Int64(services.config.reaperIntervalSeconds * 1000)),
            clock: services.clock,
            database: services.database,
            migrated: services.migrated,
            logger: services.logger
        ).run { session, pass in
            // The slower housekeeping, every tenth pass.
            try await sweep(session, housekeeping: pass % 10 == 0)
        }
    }

    /// One pass with all the housekeeping, at the scheduling clock's time, on a connection of its own: for a test
    /// that moved its clock. It runs beside the loop, which keeps its lock: each step holds the rows it changes and
    /// looks at them again, so that two passes at once change nothing twice.
    func sweep() async throws {
        try await services.database.withConnection { session in try await sweep(session, housekeeping: true) }
    }

    /// One pass; `housekeeping` adds the slower work.
    private func sweep(_ session: Session, housekeeping: Bool) async throws {
        let now = services.clock.now
        // After this controller started, or its database came back, agents get a lease's time to renew what
        // expired while they could not, and the time a node may be silent to be heard from again.
        let activity = services.activity
        if activity.reachable(for: .seconds(services.config.leaseTTLSeconds)) { try await reap(session, now: now) }
        try await completeFinishedTasks(session)
        if housekeeping {
            try await services.installJobs.expire(session: session)
            if activity.reachable(for: .seconds(services.config.nodeOfflineAfterSeconds)) {
                try await markSilentNodesOffline(session, now: now)
            }
            try await liftAvoidances(session, now: now)
        }
    }

    @discardableResult
    private func reap(_ session: Session, now: SchedulingClock.Now) async throws -> Int {
        let logger = services.logger
        let expired = try await session.query(
            """
            SELECT r.id, r.node_id FROM cases k JOIN case_runs r ON r.id = k.current_run_id
            WHERE k.state IN ('leased', 'running') AND r.outcome IS NULL AND r.lease_expires_at < \(now)
            ORDER BY r.lease_expires_at LIMIT 1000
            """
        ).all().map { try $0.decode((UUID, Int64).self) }
        var count = 0
        for (runID, nodeID) in expired {
            let handled = try await session.transaction { transaction in
                try await services.leases.lockNode(nodeID, transaction: transaction)
                guard
                    let row = try await transaction.query(
                        """
                        SELECT \(unescaped: OpenRun.columns), r.lease_expires_at \(unescaped: OpenRun.joins)
                        WHERE r.id = \(runID) AND r.outcome IS NULL AND r.lease_expires_at < \(now)
                        FOR UPDATE OF r, k SKIP LOCKED
                        """
                    ).first()
                else { return false }
                let run = try OpenRun(row)
                let expiredAt = try row.makeRandomAccess()[OpenRun.columnCount].decode(Date.self)
                let message = "lease expired at \(WireJSON.formatTimestamp(expiredAt)): no heartbeat from the node"
                guard run.isCurrent else {
                    let runEnded = EndingSQL.runEnded(
                        outcome: "'lost'",
                        exitCode: "r.exit_code",
                        durationMs: "r.duration_ms",
                        message: "v.message",
                        now: "v.now"
                    )
                    try await transaction.query(
                        """
                        WITH v AS (SELECT \(message)::text AS message, \(now) AS now)
                        UPDATE case_runs r SET \(unescaped: runEnded) FROM v WHERE r.id = \(runID)
                        """
                    )
                    return true
                }
                try await services.leases.endRun(
                    run,
                    how: LeaseStore.RunEnd(
                        outcome: RunOutcome.lost.rawValue,
                        exitCode: nil,
                        durationMs: nil,
                        runMessage: message,
                        decision: services.leases.policy.afterLostRun(
                            attempts: run.infraAttempts,
                            maxInfraRetries: run.maxInfraRetries,
                            cancelled: run.cancelled
                        ),
                        noted: { note in note ?? message },
                        requeueMessage: "requeued: \(message)",
                        infraFailure: true,
                        nextRunID: nil
                    ),
                    transaction: transaction
                )
                return true
            }
            if handled {
                count += 1
                services.metrics.runsLost.increment()
                logger.warning("run lost", metadata: ["testfleet.run.id": .string(runID.uuidString)])
            }
        }
        return count
    }

    /// Completes tasks whose cases have all ended but that are still open: a finisher that saw queued cases left
    /// when it looked, while the last of them ended meanwhile, or a controller that stopped between the two.
    private func completeFinishedTasks(_ session: Session) async throws {
        let tasks = try await session.query(
            """
            SELECT t.id FROM tasks t
            WHERE t.state IN ('queued', 'running')
              AND (SELECT 1 FROM cases k WHERE k.task_id = t.id AND k.state IN ('queued', 'leased', 'running') LIMIT 1) IS NULL
            """
        ).collect(Int64.self)
        for taskID in tasks {
            try await session.transaction { transaction in
                try await services.completion.completeIfDone(taskID: taskID, transaction: transaction)
            }
            services.logger.notice("task completed by the reaper", metadata: ["testfleet.task.id": .stringConvertible(taskID)])
        }
    }

    private func markSilentNodesOffline(_ session: Session, now: SchedulingClock.Now) async throws {
        let after = Double(services.config.nodeOfflineAfterSeconds)
        let rows = try await session.query(
            """
            UPDATE nodes n SET state = 'offline', state_reason = 'no contact for ' || \(Int(after)) || ' s',
                updated_at = \(now)
            FROM (
                -- A node whose row is taken is at work, not silent.
                SELECT id FROM nodes
                WHERE state = 'online' AND last_seen_at < \(now) - make_interval(secs => \(after))
                FOR NO KEY UPDATE SKIP LOCKED
            ) silent
            WHERE n.id = silent.id
            RETURNING n.id
            """
        ).collect(Int64.self)
        for id in rows { services.logger.notice("node offline", metadata: ["testfleet.node.id": .stringConvertible(id)]) }
    }

    private func liftAvoidances(_ session: Session, now: SchedulingClock.Now) async throws {
        let rows = try await session.query(
            """
            WITH lifted AS (
                UPDATE cases SET avoid_node_id = NULL, avoid_until = NULL
                WHERE avoid_node_id IS NOT NULL AND state = 'queued' AND avoid_until < \(now)
                RETURNING task_id
            )
            SELECT t.product_id, t.tool_id, count(*)::int, bool_or(cardinality(t.labels) > 0)
            FROM lifted l JOIN tasks t ON t.id = l.task_id
            GROUP BY t.product_id, t.tool_id
            """
        ).all()
        for row in rows {
            let (product, tool, count, labelled) = try row.decode((Int64, Int64, Int, Bool).self)
            let work = Notifications.work(WorkKey(productID: product, toolID: tool), count: count, labelled: labelled)
            try await session.query("SELECT pg_notify(\(Notifications.channel), \(work))")
        }
    }
}

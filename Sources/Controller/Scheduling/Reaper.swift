import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import WireProtocol

/// Finds leases that expired without a heartbeat, records their runs as `lost` and hands the cases back to
/// the queue (or ends them as `error` past the retry limit); marks silent nodes offline; lifts expired
/// retry avoidances. One replica at a time acts, under an advisory lock.
struct Reaper: Service {
    /// The advisory lock key of the reaper ("tfreaper" in ASCII).
    static let lockKey: Int64 = 0x7466_7265_6170_6572

    let services: ControllerServices

    func run() async throws {
        let interval = Duration.milliseconds(Int64(services.config.reaperIntervalSeconds * 1000))
        await cancelWhenGracefulShutdown { await services.migrated.wait() }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await tick()
            } catch {
                services.logger.warning("reaper pass failed: \(String(reflecting: error))")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass; returns how many runs it found lost.
    @discardableResult
    func tick() async throws -> Int {
        let logger = services.logger
        return try await services.database.client.withConnection { connection in
            let locked =
                try await connection.query(
                    "SELECT pg_try_advisory_lock(\(Self.lockKey))",
                    logger: logger
                ).collect(Bool.self).first ?? false
            guard locked else { return 0 }
            do {
                let lost = try await reap(connection)
                try await markSilentNodesOffline(connection)
                try await liftAvoidances(connection)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return lost
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func reap(_ connection: PostgresConnection) async throws -> Int {
        let logger = services.logger
        let expired = try await connection.query(
            """
            SELECT id FROM case_runs WHERE outcome IS NULL AND lease_expires_at < now()
            ORDER BY lease_expires_at LIMIT 1000
            """,
            logger: logger
        ).collect(UUID.self)
        var count = 0
        for runID in expired {
            let handled = try await connection.withTransaction(logger: logger) { connection in
                guard
                    let row = try await connection.query(
                        """
                        SELECT r.case_id, r.node_id, r.lease_expires_at, k.current_run_id = r.id, k.attempts,
                               t.max_infra_retries, t.state, k.task_id
                        FROM case_runs r JOIN cases k ON k.id = r.case_id JOIN tasks t ON t.id = k.task_id
                        WHERE r.id = \(runID) AND r.outcome IS NULL AND r.lease_expires_at < now()
                        FOR UPDATE OF r, k SKIP LOCKED
                        """,
                        logger: logger
                    ).first()
                else { return false }
                let (caseID, nodeID, expiredAt, isCurrent, attempts, maxRetries, taskState, taskID) = try row.decode(
                    (Int64, Int64, Date, Bool, Int, Int, String, Int64).self
                )
                let message = "lease expired at \(WireJSON.formatTimestamp(expiredAt)): no heartbeat from the node"
                try await connection.query(
                    """
                    UPDATE case_runs SET outcome = 'lost', ended_at = now(), message = \(message) WHERE id = \(runID)
                    """,
                    logger: logger
                )
                guard isCurrent else { return true }
                let decision = services.leases.policy.afterLostRun(
                    attempts: attempts,
                    maxInfraRetries: maxRetries,
                    taskCancelled: taskState == TaskState.cancelled.rawValue
                )
                switch decision {
                case .retry:
                    try await services.leases.requeue(
                        caseID: caseID,
                        nodeID: nodeID,
                        message: "requeued: \(message)",
                        connection: connection
                    )
                case .finish(let state, let note):
                    try await connection.query(
                        """
                        UPDATE cases SET state = \(state.rawValue), current_run_id = NULL, message = \(note ?? message),
                            finished_at = now(), updated_at = now()
                        WHERE id = \(caseID)
                        """,
                        logger: logger
                    )
                    try await services.completion.completeIfDone(taskID: taskID, connection: connection)
                }
                try await services.leases.recordNodeHealth(nodeID: nodeID, infraFailure: true, connection: connection)
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

    private func markSilentNodesOffline(_ connection: PostgresConnection) async throws {
        let after = Double(services.config.nodeOfflineAfterSeconds)
        let rows = try await connection.query(
            """
            UPDATE nodes SET state = 'offline', state_reason = 'no contact for ' || \(Int(after)) || ' s',
                updated_at = now()
            WHERE state = 'online' AND last_seen_at < now() - make_interval(secs => \(after))
            RETURNING id
            """,
            logger: services.logger
        ).collect(Int64.self)
        for id in rows { services.logger.notice("node offline", metadata: ["testfleet.node.id": .stringConvertible(id)]) }
    }

    private func liftAvoidances(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            WITH lifted AS (
                UPDATE cases SET avoid_node_id = NULL, avoid_until = NULL
                WHERE avoid_node_id IS NOT NULL AND state = 'queued' AND avoid_until < now()
                RETURNING task_id
            )
            SELECT t.product_id, t.tool_id, count(*)::int FROM lifted l JOIN tasks t ON t.id = l.task_id
            GROUP BY t.product_id, t.tool_id
            """,
            logger: services.logger
        ).all()
        for row in rows {
            let (product, tool, count) = try row.decode((Int64, Int64, Int).self)
            try await connection.query(
                """
                SELECT pg_notify(\(Notifications.channel), \(Notifications.work(WorkKey(productID: product, toolID: tool), count: count)))
                """,
                logger: services.logger
            )
        }
    }
}

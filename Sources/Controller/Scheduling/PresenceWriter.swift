import AsyncSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Writes the batched `last_seen_at` of nodes every few seconds, at the scheduling clock's time: the reaper
/// reads it by the same clock to find silent nodes.
struct PresenceWriter: Service {
    let activity: NodeActivity
    let database: Database
    let clock: SchedulingClock
    let logger: Logger
    var interval = Duration.seconds(10)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            try? await flush()
        }
        try? await flush()
    }

    func flush() async throws {
        let nodes = activity.takePending()
        guard !nodes.isEmpty else { return }
        let database = self.database
        let now = clock.now
        do {
            // A reply lost with a dropped connection must not stop presence for good.
            try await withDeadline(.seconds(30), "recording node presence") {
                try await database.query(
                    """
                    UPDATE nodes n SET last_seen_at = \(now),
                        state = CASE WHEN n.state = 'offline' THEN 'online' ELSE n.state END,
                        state_reason = CASE WHEN n.state = 'offline' THEN NULL ELSE n.state_reason END
                    FROM (
                        -- Rows taken in one order, as every statement that takes several nodes does.
                        SELECT id FROM nodes WHERE id = ANY(\(nodes)) ORDER BY id FOR NO KEY UPDATE
                    ) seen
                    WHERE n.id = seen.id
                    """
                )
            }
        } catch {
            logger.warning("cannot record node presence: \(String(reflecting: error))")
        }
    }
}

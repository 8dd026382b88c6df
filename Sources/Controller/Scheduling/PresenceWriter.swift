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

extension ControllerConfiguration {
    /// How often the visits of nodes are written in a batch: every 10 s, or every third of a short
    /// `node_offline_after_s`, so that a node in contact is never recorded as silent for long.
    var presenceWriteInterval: Duration { min(.seconds(10), .milliseconds(nodeOfflineAfterSeconds * 1000 / 3)) }

    /// A node's visit is written at once when its last write is older than this: after 60 s, and always after a
    /// silence that made it offline, so that it is online again for the request that ends the silence.
    var presenceBatchWindow: Duration { min(.seconds(60), .seconds(nodeOfflineAfterSeconds) - presenceWriteInterval) }
}

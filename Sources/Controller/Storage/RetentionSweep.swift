import Foundation
import ServiceLifecycle

/// Keeps the database from growing forever: deletes finished tasks older than `retention_days` and the case
/// logs of finished tasks older than `log_retention_days` (see ``TaskDeletion``). One replica at a time sweeps,
/// under an advisory lock taken for each pass (``SingletonLoop``), in small batches — a statement deletes at most
/// 100 cases, or the logs of 100 — with pauses as long as the batches took, so leasing never waits for it.
struct RetentionSweep: Service {
    /// The advisory lock key of the sweep ("tfretain" in ASCII).
    static let lockKey: Int64 = 0x7466_7265_7461_696e

    /// Cases one statement deletes at most, with their runs, logs and tests, or whose logs it deletes.
    static let batchSize = 100

    /// How long one pass sweeps before it leaves the rest to the next (below ``SingletonLoop/passLimit``).
    static let passBudget = Duration.seconds(15)

    let services: ControllerServices

    /// What is swept: the two periods in days, 0 keeping everything.
    struct Periods: Sendable, Equatable {
        var tasks: Double
        var logs: Double

        /// Whether logs are swept on their own: when they are kept for less time than their tasks.
        var sweepsLogs: Bool { logs > 0 && (tasks == 0 || logs < tasks) }
        var sweepsTasks: Bool { tasks > 0 }
    }

    func run() async throws {
        let periods = Periods(tasks: services.config.retentionDays, logs: services.config.logRetentionDays)
        guard periods.sweepsTasks || periods.sweepsLogs else {
            // Everything is kept: nothing to do until the controller stops.
            try? await gracefulShutdown()
            return
        }
        try await SingletonLoop(
            name: "retention sweep",
            lockKey: Self.lockKey,
            interval: .milliseconds(Int64(services.config.retentionIntervalSeconds * 1000)),
            clock: services.clock,
            keepsConnection: false,
            database: services.database,
            migrated: services.migrated,
            logger: services.logger
        ).run { session, _ in
            try await sweep(periods, session: session)
        }
    }

    /// Deletes batch after batch until nothing is due or the pass's budget is spent; after each batch it waits
    /// as long as the batch took.
    private func sweep(_ periods: Periods, session: Session) async throws {
        let metrics = services.metrics
        let end = ContinuousClock.now + Self.passBudget
        var logsDue = periods.sweepsLogs
        var tasksDue = periods.sweepsTasks
        // The task whose logs are being deleted, and the last case ordinal done.
        var logCursor: (task: Int64, after: Int)?
        while (logsDue || tasksDue) && ContinuousClock.now < end && !Task.isShuttingDownGracefully {
            let start = ContinuousClock.now
            if logsDue {
                if logCursor == nil {
                    logCursor = try await TaskDeletion.dueForLogSweep(cutoffDays: periods.logs, session: session).map { ($0, 0) }
                }
                if let cursor = logCursor {
                    let (deleted, last) = try await TaskDeletion.sweepLogs(
                        taskID: cursor.task,
                        after: cursor.after,
                        limit: Self.batchSize,
                        session: session
                    )
                    metrics.retentionDeleted(kind: "log_chunk").increment(by: Int64(deleted))
                    logCursor = last.map { (cursor.task, $0) }
                } else {
                    logsDue = false
                }
            } else if let deleted = try await TaskDeletion.sweepTasks(
                cutoffDays: periods.tasks,
                limit: Self.batchSize,
                session: session
            ) {
                metrics.retentionDeleted(kind: "case").increment(by: Int64(deleted.cases))
                if let task = deleted.task {
                    metrics.retentionDeleted(kind: "task").increment()
                    services.logger.info("retention: task deleted", metadata: ["testfleet.task.id": .stringConvertible(task)])
                }
            } else {
                tasksDue = false
            }
            let took = ContinuousClock.now - start
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: took) }
        }
    }
}

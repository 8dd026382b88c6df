import Foundation
import Logging
import PostgresNIO
import WireProtocol

/// Why a task's cases wait, and when it should end: read from the database, decided by pure functions.
struct SchedulingInsight: Sendable {
    let database: Database
    /// The clock leasing decides by, so that the explanation agrees with it.
    let clock: SchedulingClock
    /// Seconds of waiting per priority step a task gains, as leasing counts them.
    var agingSeconds = 60

    struct Answer: Sendable {
        /// The task's cases by state, counted by the same read as the rest.
        var counts = CaseCounts()
        var etaSeconds: Int?
        var pendingReason: String?
    }

    /// The task's progress figures.
    struct Progress: Sendable, Equatable {
        var queued = 0
        var active = 0
        /// Expected milliseconds of the unfinished cases with a history, and how many have one.
        var expectedMs: Double = 0
        var expectedCount = 0
        /// Mean duration of this task's finished cases.
        var finishedMeanMs: Double?
        /// Cases finished in the last `window` seconds.
        var recentlyFinished = 0
        var window: Double = 300
    }

    /// The nodes that have the task's product and tool installed and every label it requires.
    struct Fleet: Sendable, Equatable {
        var matching = 0
        /// Nodes with the product and tool that lack a label the task requires.
        var lackingLabels = 0
        var online = 0
        var offline = 0
        var draining = 0
        var disabled = 0
        var onlineSlots = 0
        var busySlots = 0
        /// Busy slots held by tasks that go first: of higher priority, with aging, as leasing ranks them.
        var busyWithHigherPriority = 0
        /// When online nodes have a free slot but may take none of the task's queued cases, each retried after an
        /// infrastructure failure on one of them and avoiding it: the seconds until the first avoidance ends.
        var avoidedSeconds: Int?
    }

    func insight(for task: TaskInfo) async throws -> Answer {
        let (measured, counts) = try await progress(taskID: task.id)
        var progress = measured
        // Throughput is measured over the last five minutes, or since the task started when that is shorter.
        if let started = task.startedAt { progress.window = min(300, max(1, clock.date.timeIntervalSince(started))) }
        guard progress.queued + progress.active > 0 else { return Answer(counts: counts) }
        let fleet = try await fleet(for: task)
        return Answer(
            counts: counts,
            etaSeconds: Self.eta(progress, fleet: fleet),
            pendingReason: Self.pendingReason(task: task, progress: progress, fleet: fleet)
        )
    }

    /// Seconds until the last case should end: from live throughput when cases have been finishing, else
    /// from duration history spread over the slots at work.
    static func eta(_ progress: Progress, fleet: Fleet) -> Int? {
        let remaining = Double(progress.queued + progress.active)
        if progress.recentlyFinished >= 3 {
            let rate = Double(progress.recentlyFinished) / progress.window
            return Int((remaining / rate).rounded(.up))
        }
        let unknown = Double(progress.queued + progress.active - progress.expectedCount)
        let perUnknown =
            progress.finishedMeanMs
            ?? (progress.expectedCount > 0 ? progress.expectedMs / Double(progress.expectedCount) : nil)
        guard let perUnknown else { return nil }
        let work = progress.expectedMs + unknown * perUnknown
        let parallel = Double(max(progress.active, min(fleet.onlineSlots, progress.queued + progress.active), 1))
        return Int((work / parallel / 1000).rounded(.up))
    }

    /// Why queued cases are not running, in words, when nothing of the task runs.
    static func pendingReason(task: TaskInfo, progress: Progress, fleet: Fleet) -> String? {
        guard progress.queued > 0, progress.active == 0 else { return nil }
        var what = "product \(task.product.name) \(task.product.version) with tool \(task.tool.name) \(task.tool.version)"
        let labels = "label\(task.labels.count == 1 ? "" : "s") \(task.labels.joined(separator: ", "))"
        if fleet.matching == 0 {
            guard !task.labels.isEmpty, fleet.lackingLabels > 0 else { return "no node has \(what) installed" }
            return "no node with \(what) has the \(labels)"
        }
        if !task.labels.isEmpty { what += " and the \(labels)" }
        if fleet.online == 0 {
            var parts: [String] = []
            if fleet.offline > 0 { parts.append("\(fleet.offline) offline") }
            if fleet.draining > 0 { parts.append("\(fleet.draining) draining") }
            if fleet.disabled > 0 { parts.append("\(fleet.disabled) disabled") }
            let nodes = fleet.matching == 1 ? "the 1 node" : "all \(fleet.matching) nodes"
            return "\(nodes) with \(what) \(fleet.matching == 1 ? "is" : "are") unavailable: "
                + parts.joined(separator: ", ")
        }
        if fleet.busySlots >= fleet.onlineSlots {
            let slots =
                "all \(fleet.onlineSlots) matching slot\(fleet.onlineSlots == 1 ? "" : "s") on "
                + "\(fleet.online) online node\(fleet.online == 1 ? "" : "s")"
            if fleet.busyWithHigherPriority > 0 {
                return "\(slots) are busy; \(fleet.busyWithHigherPriority) with higher-priority work"
            }
            return "\(slots) are busy with other tasks; cases start as slots free up"
        }
        if let seconds = fleet.avoidedSeconds {
            return "queued cases retried after an infrastructure failure avoid the node they failed on for \(seconds) s more, "
                + "and no other node with \(what) has a free slot"
        }
        return nil
    }

    /// The progress figures and the counts by state, from one pass over the task's cases.
    private func progress(taskID: Int64) async throws -> (Progress, CaseCounts) {
        var progress = Progress()
        var counts = CaseCounts()
        var finishedMs = 0.0
        var finished = 0
        for try await (state, count, expected, expectedCount, durationMs, durations, recent) in try await database.query(
            """
            SELECT state, count(*)::int, coalesce(sum(expected_ms), 0)::float8, count(expected_ms)::int,
                   coalesce(sum(duration_ms), 0)::float8, count(duration_ms)::int,
                   count(*) FILTER (WHERE finished_at > \(clock.now) - interval '300 seconds')::int
            FROM cases WHERE task_id = \(taskID) GROUP BY state
            """
        ).decode((String, Int, Double, Int, Double, Int, Int).self) {
            counts.total += count
            progress.recentlyFinished += recent
            guard let state = CaseState(rawValue: state) else { continue }
            counts[state] = count
            switch state {
            case .queued, .leased, .running:
                progress.expectedMs += expected
                progress.expectedCount += expectedCount
            case .passed, .failed:
                finishedMs += durationMs
                finished += durations
            case .error, .skipped, .timedOut, .cancelled:
                break
            }
        }
        progress.queued = counts.queued
        progress.active = counts.leased + counts.running
        progress.finishedMeanMs = finished > 0 ? finishedMs / Double(finished) : nil
        return (progress, counts)
    }

    private func fleet(for task: TaskInfo) async throws -> Fleet {
        let aged = SchedulingSQL.agedPriority("t", aging: "\(agingSeconds)::float8", now: "clock.now")
        let row = try await database.query(
            """
            WITH clock AS (SELECT \(clock.now) AS now),
            installed AS (
                SELECT DISTINCT n.id, n.state, n.slots, n.busy, n.revoked_at IS NOT NULL AS revoked,
                    \(unescaped: SchedulingSQL.hasLabels("n.labels", for: "t.labels")) AS labelled
                FROM tasks t CROSS JOIN nodes n
                \(unescaped: SchedulingSQL.installedPairs(node: "n.id"))
                WHERE t.id = \(task.id) AND np.product_id = t.product_id AND nt.tool_id = t.tool_id
            ),
            matching AS (SELECT * FROM installed WHERE labelled),
            me AS (
                SELECT \(unescaped: aged) AS aged
                FROM tasks t CROSS JOIN clock WHERE t.id = \(task.id)
            ),
            higher AS (
                SELECT k.node_id, count(*) AS higher
                FROM cases k JOIN tasks t ON t.id = k.task_id CROSS JOIN me CROSS JOIN clock
                WHERE k.state IN ('leased', 'running') AND k.node_id IN (SELECT id FROM matching)
                  AND \(unescaped: aged) > me.aged
                GROUP BY k.node_id
            ),
            -- Whether a node with a free slot may take a queued case, as leasing decides; if none may, when the
            -- first retried case's avoidance of the node it failed on ends.
            free AS (SELECT id FROM matching WHERE state = 'online' AND NOT revoked AND busy < slots),
            takeable AS (
                SELECT EXISTS (
                    SELECT 1 FROM free f CROSS JOIN clock CROSS JOIN tasks t
                    WHERE t.id = \(task.id) AND \(unescaped: SchedulingSQL.hasQueuedCase(task: "t.id", takenBy: ("f.id", "clock.now")))
                ) AS found
            ),
            avoided AS (
                SELECT ceil(extract(epoch FROM min(k.avoid_until - clock.now)))::int AS seconds
                FROM cases k CROSS JOIN clock
                WHERE k.task_id = \(task.id) AND k.state = 'queued' AND k.avoid_until >= clock.now
            )
            SELECT count(*)::int,
                   count(*) FILTER (WHERE m.state = 'online' AND NOT m.revoked)::int,
                   count(*) FILTER (WHERE m.state = 'offline' AND NOT m.revoked)::int,
                   count(*) FILTER (WHERE m.state = 'draining' AND NOT m.revoked)::int,
                   count(*) FILTER (WHERE m.state = 'disabled' OR m.revoked)::int,
                   coalesce(sum(m.slots) FILTER (WHERE m.state = 'online' AND NOT m.revoked), 0)::int,
                   coalesce(sum(m.busy) FILTER (WHERE m.state = 'online' AND NOT m.revoked), 0)::int,
                   coalesce(sum(h.higher) FILTER (WHERE m.state = 'online' AND NOT m.revoked), 0)::int,
                   (SELECT count(*) FROM installed WHERE NOT labelled)::int,
                   CASE WHEN EXISTS (SELECT 1 FROM free) AND NOT (SELECT found FROM takeable) THEN (SELECT seconds FROM avoided) END
            FROM matching m LEFT JOIN higher h ON h.node_id = m.id
            """
        ).first()!
        let (matching, online, offline, draining, disabled, slots, busy, higher, lacking, avoided) = try row.decode(
            (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int?).self
        )
        return Fleet(
            matching: matching,
            lackingLabels: lacking,
            online: online,
            offline: offline,
            draining: draining,
            disabled: disabled,
            onlineSlots: slots,
            busySlots: busy,
            busyWithHigherPriority: higher,
            avoidedSeconds: avoided
        )
    }
}

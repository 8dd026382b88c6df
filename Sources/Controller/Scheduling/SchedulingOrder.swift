import Foundation

/// Which task a free slot goes to, as a decision without I/O: aged priority first (a task gains one step of priority
/// for each aging interval it has waited since a case of it was last handed out, at most ``maxAgingSteps``), then
/// fair share — the fewest running cases of the submitting user, then of the task — then the oldest task.
///
/// Leasing applies the same order inside its statement (``SchedulingSQL/taskOrder(aging:ending:now:)``, built from
/// ``maxAgingSteps``); a test orders random tasks both ways and holds them equal.
struct SchedulingOrder: Sendable {
    /// Seconds of waiting per step of priority.
    var agingSeconds: Double

    /// The most steps aging adds: enough for any wait, while a task's priority stays within reach of others.
    static let maxAgingSteps = 1000

    /// The task's priority with aging at `now`.
    func agedPriority(_ task: TaskStanding, now: Date) -> Double {
        let waited = now.timeIntervalSince(task.dispatchedAt ?? task.createdAt)
        return Double(task.priority) + min((waited / agingSeconds).rounded(.down), Double(Self.maxAgingSteps))
    }

    /// Whether `a` gets a free slot before `b` at `now`.
    func precedes(_ a: TaskStanding, _ b: TaskStanding, now: Date) -> Bool {
        let (agedA, agedB) = (agedPriority(a, now: now), agedPriority(b, now: now))
        if agedA != agedB { return agedA > agedB }
        if a.userRunning != b.userRunning { return a.userRunning < b.userRunning }
        if a.taskRunning != b.taskRunning { return a.taskRunning < b.taskRunning }
        if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
        return a.id < b.id
    }

    /// `tasks` in the order they get free slots at `now`.
    func sorted(_ tasks: [TaskStanding], now: Date) -> [TaskStanding] {
        tasks.sorted { precedes($0, $1, now: now) }
    }
}

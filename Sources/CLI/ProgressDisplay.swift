import WireProtocol

/// What `--wait` shows while a task runs: a bar redrawn in place on a terminal, or a line now and then
/// otherwise (a CI log).
struct ProgressDisplay: Sendable {
    /// Seconds between plain lines while nothing but the counts changes.
    var lineInterval: Double = 10
    private var lastLine: String?
    private var lastLineAt: Double?
    private var lastState: TaskState?

    init(lineInterval: Double = 10) {
        self.lineInterval = lineInterval
    }

    /// The bar for a terminal `width` columns wide: done/total, counts, ETA, and why cases wait when none runs.
    static func bar(_ task: TaskInfo, width: Int) -> String {
        let counts = task.counts
        let total = max(counts.total, 1)
        var tail = " \(counts.finished)/\(counts.total)"
        tail += summary(task)
        let barWidth = min(30, max(10, width - tail.count - 3))
        let filled = counts.finished * barWidth / total
        let line = "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled) + "]" + tail
        return line.count > width - 1 ? String(line.prefix(max(0, width - 2))) + "…" : line
    }

    /// A plain progress line: `task 42 running: 45/100 done (40 passed, 5 failed, 3 running), ETA 2m10s`.
    static func line(_ task: TaskInfo) -> String {
        "task \(task.id) \(task.state.rawValue): \(task.counts.finished)/\(task.counts.total) done" + summary(task)
    }

    /// The plain line to print now, if any: when the task's state changes, and otherwise when the counts
    /// changed and `lineInterval` has passed since the last line. `now` is in seconds on any steady clock.
    mutating func plainLine(for task: TaskInfo, now: Double) -> String? {
        let line = Self.line(task)
        let stateChanged = task.state != lastState
        let due = lastLineAt.map { now - $0 >= lineInterval } ?? true
        guard stateChanged || (due && line != lastLine) else { return nil }
        lastState = task.state
        lastLine = line
        lastLineAt = now
        return line
    }

    private static func summary(_ task: TaskInfo) -> String {
        let counts = task.counts
        var parts: [String] = []
        let active = counts.leased + counts.running
        if active > 0 { parts.append("\(active) running") }
        if counts.passed > 0 { parts.append("\(counts.passed) passed") }
        // Each way a case ended, named as the report names it.
        parts += Format.countParts(counts, states: Format.states.filter { $0.0.isTerminal && $0.0 != .passed })
        var text = parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
        if !task.state.isTerminal, let eta = task.etaS { text += ", ETA \(Format.duration(seconds: eta))" }
        if !task.state.isTerminal, active == 0, counts.queued > 0, let reason = task.pendingReason {
            text += "; waiting: \(reason)"
        }
        return text
    }
}

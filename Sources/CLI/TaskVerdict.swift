import WireProtocol

/// What a finished task means for the exit status: it fails when any case failed, erred, timed out or was
/// cancelled, or the task was cancelled. Skipped cases do not fail it.
enum TaskVerdict {
    static func status(of task: TaskInfo) -> ExitStatus {
        failing(task.counts) > 0 || task.state == .cancelled ? .casesFailed : .success
    }

    /// Cases that count against the task.
    static func failing(_ counts: CaseCounts) -> Int {
        counts.failed + counts.error + counts.timedOut + counts.cancelled
    }

    /// The task is over: its state is final and no case is left running.
    static func isSettled(_ task: TaskInfo) -> Bool {
        task.state.isTerminal && task.counts.finished == task.counts.total
    }
}

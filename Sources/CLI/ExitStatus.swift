/// How `testfleet` exits: CI pipelines tell failed tests from a broken invocation or an unreachable controller.
enum ExitStatus: Int32, Sendable {
    /// Done; for a task, no case failed (skipped cases do not count as failures).
    case success = 0
    /// A task ended with failed, error, timed-out or cancelled cases, or was cancelled.
    case casesFailed = 1
    /// The command line or its input is wrong.
    case usage = 2
    /// The controller refused the request or could not be reached, or a file could not be written.
    case failure = 3
}

import ControllerClient
import Foundation
import WireProtocol

/// Follows a task until it settles, showing progress on standard error: a bar on a terminal, plain lines
/// otherwise. Rides out a controller that is briefly away (a restart or an upgrade).
struct TaskWatcher {
    let client: ControllerClient
    var pollInterval: Duration = .seconds(1)
    /// How long the controller may stay unreachable before the wait gives up.
    var patience: Duration = .seconds(300)
    var terminal = Console.isTerminal(STDERR_FILENO)

    func wait(taskID: Int64) async throws -> TaskInfo {
        var display = ProgressDisplay()
        let clock = ContinuousClock()
        let start = clock.now
        var unreachableSince: ContinuousClock.Instant?
        var drawn = false
        while true {
            let task: TaskInfo
            do {
                task = try await client.call(.GET, "/api/v1/tasks/\(taskID)", as: TaskInfo.self)
                if unreachableSince != nil { Console.note("controller is back") }
                unreachableSince = nil
            } catch let error as ClientError where error.isTransient {
                let since = unreachableSince ?? clock.now
                if unreachableSince == nil {
                    if drawn { Console.write("\n", to: STDERR_FILENO) }
                    Console.note("controller unavailable (\(error)); still waiting for task \(taskID)")
                }
                unreachableSince = since
                if clock.now - since > patience { throw error }
                try await Task.sleep(for: pollInterval * 2)
                continue
            }
            let settled = TaskVerdict.isSettled(task)
            if terminal {
                let width = Console.width(of: STDERR_FILENO)
                Console.write("\r\u{1B}[K" + ProgressDisplay.bar(task, width: width) + (settled ? "\n" : ""), to: STDERR_FILENO)
                drawn = !settled
            } else {
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                if let line = display.plainLine(for: task, now: seconds) { Console.note(line) }
            }
            if settled { return task }
            try await Task.sleep(for: pollInterval)
        }
    }
}

import AsyncSupport
import Foundation
import Spawning

/// Runs one case's command: `/bin/sh -c` in its own session (so its whole process tree is one group), output
/// of stdout and stderr together into a file, with a timeout, cancellation, and TERM-then-KILL to the group.
struct CaseProcess: Sendable {
    var command: String
    var environment: [String: String]
    var workDirectory: URL
    var outputFile: URL
    var timeout: Duration
    var killGrace: Duration
    /// After the shell exits, how long to wait for its children to close the output before they are killed.
    var outputGrace: Duration = .seconds(2)
    /// Rung whenever output reaches the file.
    var outputBell: Doorbell?
    /// Called once, on the thread that watches the case, if the shell still runs this long after its start.
    var reminder: Reminder?

    struct Reminder: Sendable {
        var after: Duration
        var action: @Sendable () -> Void
    }

    enum Stop: Sendable, Equatable {
        case cancelled
        case shutdown
        case leaseLost
    }

    enum Outcome: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
        case stopped(Stop)
        case failedToStart(String)
    }

    /// The agent's own environment, which every case inherits: read once, since the agent never changes it.
    private static let inherited = ProcessInfo.processInfo.environment

    /// Runs to the end; `stop` fired meanwhile kills the case.
    func run(stop: OneShot<Stop>, onStart: @Sendable (pid_t) -> Void = { _ in }) async -> Outcome {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return .failedToStart("pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Other slots spawn cases too: neither end may leak into their processes.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let output = open(outputFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            let reason = String(cString: strerror(errno))
            close(readEnd)
            close(writeEnd)
            return .failedToStart("cannot open \(outputFile.path): \(reason)")
        }
        var variables = Self.inherited
        variables.merge(environment) { _, given in given }
        let group: pid_t
        do {
            group = try Spawn.start(
                "/bin/sh",
                ["-c", command],
                environment: variables.map { "\($0.key)=\($0.value)" },
                workingDirectory: workDirectory.path,
                output: .descriptor(writeEnd),
                group: .session
            )
        } catch {
            close(readEnd)
            close(writeEnd)
            close(output)
            return .failedToStart("\(error)")
        }
        close(writeEnd)
        onStart(group)
        let started = ContinuousClock.now
        let watch = ProcessWatch(
            process: group,
            readFD: readEnd,
            output: output,
            deadline: started + timeout,
            reminder: reminder.map { (started + $0.after, $0.action) },
            bell: outputBell
        )
        enum Event: Sendable {
            case ended(Termination)
            case timeUp
            case stop(Stop)
        }
        // Whichever comes first: the shell ends, the timeout passes, or someone stops the case.
        let event = OneShot<Event>()
        let observers = (
            watch.ended.observe { event.fire(.ended($0)) },
            watch.timeUp.observe { event.fire(.timeUp) },
            stop.observe { event.fire(.stop($0)) }
        )
        let first = await event.wait()
        watch.ended.removeObserver(observers.0)
        watch.timeUp.removeObserver(observers.1)
        stop.removeObserver(observers.2)
        let outcome: Outcome
        switch first {
        case .ended(.exited(let code)):
            outcome = .exited(code)
        case .ended(.signaled(let signal)):
            outcome = .signaled(signal)
        case .timeUp, .stop:
            // TERM to the group, then KILL after the grace unless the shell ended first.
            kill(-group, SIGTERM)
            if !(await finishes({ _ = await watch.ended.wait() }, within: killGrace)) {
                kill(-group, SIGKILL)
            }
            _ = await watch.ended.wait()
            if case .stop(let reason) = first { outcome = .stopped(reason) } else { outcome = .timedOut }
        }
        // The shell is gone; give its children a moment to finish writing, then end the whole group.
        let drained = watch.isDrained ? true : await finishes(watch.drained, within: outputGrace)
        kill(-group, SIGKILL)
        if !drained { _ = await finishes(watch.drained, within: .seconds(2)) }
        return outcome
    }
}

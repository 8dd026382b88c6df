import AsyncSupport
import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

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
    private static let inherited: [Environment.Key: String] = Dictionary(
        ProcessInfo.processInfo.environment.compactMap { key, value in Environment.Key(rawValue: key).map { ($0, value) } },
        uniquingKeysWith: { first, _ in first }
    )

    /// Runs to the end; `stop` fired meanwhile kills the case.
    func run(stop: OneShot<Stop>, onStart: @Sendable (pid_t) -> Void = { _ in }) async -> Outcome {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return .failedToStart("pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Other slots spawn cases too: neither end may leak into their processes.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let drain: PipeDrain
        do {
            drain = try PipeDrain(readFD: readEnd, appendingTo: outputFile, bell: outputBell)
        } catch {
            close(readEnd)
            close(writeEnd)
            return .failedToStart("\(error)")
        }
        var options = PlatformOptions()
        options.createSession = true
        let pid = OneShot<pid_t>()
        let writer = FileDescriptor(rawValue: writeEnd)
        var variables = Self.inherited
        for (key, value) in self.environment { variables[Environment.Key(rawValue: key)!] = value }
        let environment = Environment.custom(variables)
        enum Event: Sendable {
            case ended(Outcome)
            case deadline
            case stop(Stop)
        }
        // Whichever comes first: the shell ends, the timeout passes, or someone stops the case.
        let event = OneShot<Event>()
        let execution = Task<Outcome, Never> {
            let outcome = await spawn(environment: environment, options: options, writer: writer, pid: pid)
            event.fire(.ended(outcome))
            return outcome
        }
        let group = await pid.wait()
        if group > 0 { onStart(group) }
        let deadline = ContinuousClock.now + timeout
        let timer = Task {
            if (try? await Task.sleep(until: deadline, clock: .continuous)) != nil { event.fire(.deadline) }
        }
        let stopObserver = stop.observe { event.fire(.stop($0)) }
        let first = await event.wait()
        timer.cancel()
        stop.removeObserver(stopObserver)
        var outcome: Outcome
        switch first {
        case .ended(let ended):
            outcome = ended
        case .deadline, .stop:
            if group > 0 { await terminate(group: group, until: execution) }
            _ = await execution.value
            if case .stop(let reason) = first { outcome = .stopped(reason) } else { outcome = .timedOut }
        }
        // The shell is gone; give its children a moment to finish writing, then end the whole group.
        if group > 0 {
            let drained = drain.isFinished ? true : await finishes(drain.finished, within: outputGrace)
            kill(-group, SIGKILL)
            if !drained { _ = await finishes(drain.finished, within: .seconds(2)) }
        } else {
            _ = await finishes(drain.finished, within: .seconds(2))
        }
        if case .failedToStart = outcome {} else if group <= 0 { outcome = .failedToStart("the process did not start") }
        return outcome
    }

    /// Starts the shell and waits for its end; `pid` fires with its process id, or 0 when it did not start.
    private func spawn(environment: Environment, options: PlatformOptions, writer: FileDescriptor, pid: OneShot<pid_t>) async -> Outcome {
        do {
            let result = try await Subprocess.run(
                .path("/bin/sh"),
                arguments: ["-c", command],
                environment: environment,
                workingDirectory: FilePath(workDirectory.path),
                platformOptions: options,
                input: .none,
                output: .fileDescriptor(writer, closeAfterSpawningProcess: true),
                error: .fileDescriptor(writer, closeAfterSpawningProcess: false)
            ) { execution in
                pid.fire(execution.processIdentifier.value)
            }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signaled(signal)
            }
        } catch {
            pid.fire(0)
            return .failedToStart("cannot start /bin/sh: \(error)")
        }
    }

    /// TERM to the group, then KILL after the grace unless the shell ended first.
    private func terminate(group: pid_t, until execution: Task<Outcome, Never>) async {
        kill(-group, SIGTERM)
        if !(await finishes({ _ = await execution.value }, within: killGrace)) {
            kill(-group, SIGKILL)
        }
    }
}

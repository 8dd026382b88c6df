import Foundation
import Spawning
import Synchronization

/// Agent processes the demo starts on this machine: started with their output in a log file, stopped with
/// SIGTERM (then SIGKILL) when the demo ends.
final class AgentProcesses: Sendable {
    private let pids = Mutex<[pid_t]>([])

    /// `testfleet-agent` beside this executable, else on PATH.
    static func agentBinary() -> URL {
        let own = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        )
        let beside = own.deletingLastPathComponent().appendingPathComponent("testfleet-agent")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("testfleet-agent")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return beside
    }

    func start(executable: String, arguments: [String], log: URL) throws {
        _ = try startReturningPID(executable: executable, arguments: arguments, log: log)
    }

    /// Starts a process with its output appended to `log`, in its own process group; returns its pid.
    func startReturningPID(executable: String, arguments: [String], log: URL) throws -> pid_t {
        let pid: pid_t
        do {
            // Its own process group: a Ctrl-C in the terminal reaches the demo, which stops the agents in order.
            pid = try Spawn.start(executable, arguments, output: .appending(log.path), group: .own)
        } catch {
            throw DemoError("\(error)")
        }
        pids.withLock { $0.append(pid) }
        return pid
    }

    var allExited: Bool {
        pids.withLock { pids in
            pids.allSatisfy { pid in
                var status: Int32 = 0
                return waitpid(pid, &status, WNOHANG) != 0
            }
        }
    }

    /// SIGTERM to every agent, SIGKILL to those still running after 20 s.
    func stopAll() {
        let running = pids.withLock { pids -> [pid_t] in
            defer { pids = [] }
            return pids
        }
        for pid in running { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(20)
        var remaining = Set(running)
        while !remaining.isEmpty && Date() < deadline {
            for pid in remaining {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) != 0 { remaining.remove(pid) }
            }
            if !remaining.isEmpty { usleep(100_000) }
        }
        for pid in remaining {
            kill(pid, SIGKILL)
            _ = Spawn.wait(for: pid)
        }
    }
}

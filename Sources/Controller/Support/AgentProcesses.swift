import Foundation
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        InheritedDescriptors.keepOut(of: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group: a Ctrl-C in the terminal reaches the demo, which stops the agents in order.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw DemoError("cannot start \(executable): \(String(cString: strerror(result)))")
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
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

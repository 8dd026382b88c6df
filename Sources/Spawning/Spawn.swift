import Foundation

/// Starts a process with `posix_spawn` on the calling thread: standard input from `/dev/null`, output and errors
/// together where the caller says, no descriptor of this process's above stderr, every signal's disposition at its
/// default and none blocked (whatever this process ignores, such as SIGPIPE, its children do not).
public enum Spawn {
    /// Where the process's standard output and standard error go, both to the same place.
    public enum Output: Sendable {
        /// A descriptor of this process's, such as a pipe's write end; the caller still closes its own copy.
        case descriptor(Int32)
        /// A file opened for appending, created when missing.
        case appending(String)
    }

    /// The process group the process starts in.
    public enum Group: Sendable {
        case inherited
        /// A process group of its own: a Ctrl-C in this process's terminal does not reach it.
        case own
        /// A session (and so a process group) of its own, without a controlling terminal: `kill(-pid, …)` reaches
        /// everything it starts.
        case session
    }

    /// Waits for `pid` to end, blocking the calling thread (through interruptions), and says how it ended.
    public static func wait(for pid: pid_t) -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Termination(waitStatus: status)
    }

    /// Starts `executable` with `arguments` (not including its name) and returns its process id.
    ///
    /// - Parameters:
    ///   - environment: `NAME=value` entries; `nil` passes this process's own.
    ///   - workingDirectory: where it starts; `nil` is this process's.
    public static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String]? = nil,
        workingDirectory: String? = nil,
        output: Output,
        group: Group = .inherited
    ) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .descriptor(let descriptor):
            posix_spawn_file_actions_adddup2(&actions, descriptor, 1)
        case .appending(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let workingDirectory {
            guard let addChdir = Self.addChdir else {
                throw SpawnError("this C library cannot start a process in another directory (glibc 2.29 or later can)")
            }
            let added = workingDirectory.withCString { addChdir(&actions, $0) }
            guard added == 0 else { throw SpawnError(code: added, "cannot start \(executable) in \(workingDirectory)") }
        }
        InheritedDescriptors.keepOut(of: &actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        switch group {
        case .inherited:
            break
        case .own:
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        case .session:
            flags |= Self.setSession
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result: Int32
        if let environment {
            let envp = environment.map { strdup($0) } + [nil]
            defer { for pointer in envp { free(pointer) } }
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        } else {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            let place = workingDirectory.map { " in \($0)" } ?? ""
            throw SpawnError(code: result, "cannot start \(executable)\(place)")
        }
        return pid
    }

    /// glibc's `POSIX_SPAWN_SETSID` (2.26 and later), which its headers declare only for `_GNU_SOURCE`.
    private static let setSession: Int32 = 0x80

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29 and later), looked up at run time for the same reason.
    private static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }
}

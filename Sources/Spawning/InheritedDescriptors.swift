import Foundation

/// Keeps a process's open files and sockets out of the processes it starts (the controller's PostgreSQL and demo
/// agents, an agent's cases): a child holding the controller's listening socket would keep the port busy after the
/// controller is gone, and one holding a file open for writing (Foundation opens the files it writes without
/// close-on-exec) makes running that file fail with "Text file busy" for as long as the child lives.
enum InheritedDescriptors {
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time: its headers
    /// declare it only for `_GNU_SOURCE`. `nil` on an older C library.
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    /// Keeps every descriptor above stderr out of the child that `actions` start, after the actions already added
    /// (which may still use them): closed in the child, whatever other threads open meanwhile, where the C library
    /// can; otherwise marked close-on-exec now.
    static func keepOut(of actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        markCloseOnExec()
    }

    /// Marks every descriptor above stderr close-on-exec.
    private static func markCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}

import Foundation

/// Keeps the controller's open files and sockets out of the processes it starts (PostgreSQL, the demo's
/// agents): a child holding the listening socket would keep the port busy after the controller is gone.
enum InheritedDescriptors {
    /// Marks every descriptor above stderr close-on-exec.
    static func markCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}

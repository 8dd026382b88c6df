import Foundation

/// A descriptor that becomes readable when a child process ends (`pidfd_open`, Linux 5.3 and glibc 2.36 or later),
/// so a thread can wait for the end and for other descriptors in one `poll`.
public enum ProcessDescriptor {
    private typealias Open = @convention(c) (pid_t, UInt32) -> Int32

    private static let openFunction: Open? = dlsym(nil, "pidfd_open").map { unsafeBitCast($0, to: Open.self) }

    /// A close-on-exec descriptor for `pid`, or `nil` where the kernel or the C library has none.
    public static func open(_ pid: pid_t) -> Int32? {
        guard let openFunction else { return nil }
        let descriptor = openFunction(pid, 0)
        return descriptor >= 0 ? descriptor : nil
    }
}

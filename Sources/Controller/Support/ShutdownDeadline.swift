import Foundation
import Logging
import ServiceLifecycle

/// Ends the process when a shutdown overruns: once the group starts shutting down (a signal, or a service that
/// ended), whatever has not ended `limit` later is left behind, with a message and exit status 1.
///
/// ServiceLifecycle's own limit on cancellation stops the process with a fatal error instead: a crash report,
/// and on Linux a backtrace that can take longer to print than the shutdown it cuts short.
struct ShutdownDeadline: Service {
    let limit: Duration
    let logger: Logger
    /// What ends the process; tests give their own.
    var exit: @Sendable () -> Void = { Foundation.exit(1) }

    func run() async throws {
        // Returns when the shutdown starts; throws when the group is cancelled outright, which is a shutdown too.
        try? await gracefulShutdown()
        // A thread of its own: the group's tasks may be what does not end, and it must not wait for them.
        Thread.detachNewThread { [self] in
            Thread.sleep(forTimeInterval: limit / .seconds(1))
            logger.error("the controller did not stop within \(limit) of the start of its shutdown; exiting without it")
            exit()
        }
    }
}

import Foundation
import Logging
import Synchronization

enum ControllerLogging {
    /// The controller's logger: to stderr, as text or JSON lines.
    static func logger(_ config: ControllerConfiguration) -> Logger {
        bootstrap(format: config.logFormat)
        var logger = Logger(label: "testfleet.controller")
        logger.logLevel = config.logLevel
        return logger
    }

    /// A logger that speaks only of errors: for the benchmark commands, whose output is their figures.
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .error
        return logger
    }

    private static let bootstrapped = Mutex(false)

    /// Installs the log handler once per process.
    static func bootstrap(format: ControllerConfiguration.LogFormat) {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        switch format {
        case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
    }
}

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

/// Writes one JSON object per line to stderr: time, level, label, message and metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "time": ISO8601DateFormatter().string(from: Date()),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = value.description
        }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(10)
        FileHandle.standardError.write(data)
    }
}

import Foundation
import Logging

/// Where the controller's database is: the configured URL, else the embedded cluster under the data directory,
/// started when it does not run yet.
struct DatabaseLocation {
    var url: String
    /// The embedded cluster, when no URL is configured.
    var embedded: EmbeddedPostgres?
    /// Whether this process started the embedded cluster, rather than finding it running.
    var startedHere: Bool

    static func resolve(_ config: ControllerConfiguration, logger: Logger) async throws -> DatabaseLocation {
        if let url = config.databaseURL { return DatabaseLocation(url: url, embedded: nil, startedHere: false) }
        let cluster = try EmbeddedPostgres(dataDirectory: config.dataDirectory, logger: logger)
        let wasRunning = cluster.runningPort() != nil
        let url = try await Blocking.run { try cluster.start().url }
        return DatabaseLocation(url: url, embedded: cluster, startedHere: !wasRunning)
    }
}

import Foundation
import Logging

/// Everything the controller can be told, with its defaults. Reading it from a file, the environment and
/// flags is ``ControllerConfiguration/load(file:environment:overrides:)``; every key is listed in
/// ``ControllerConfiguration/keys``.
struct ControllerConfiguration: Sendable {
    /// Where the controller keeps its TLS material, artifacts, the initial admin password and, without a
    /// database URL, its embedded PostgreSQL cluster.
    var dataDirectory = ControllerConfiguration.defaultDataDirectory
    var host = "0.0.0.0"
    var port = 8443
    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`; none means embedded.
    var databaseURL: String?
    var databasePoolSize = 20
    var tlsCertificate: String?
    var tlsKey: String?
    /// Extra names and addresses for the generated server certificate.
    var tlsSubjectAlternativeNames: [String] = []
    /// Serve plain HTTP (only for development behind a TLS-terminating proxy).
    var insecureHTTP = false
    /// The URL agents and users reach this controller at; used in enrollment commands and report links.
    var publicURL: String?
    var logLevel: Logger.Level = .info
    var logFormat: LogFormat = .text
    /// Largest artifact upload.
    var artifactMaxBytes: Int64 = 4 << 30
    /// Largest stored log of one case run; beyond it the head and tail are kept.
    var caseLogMaxBytes: Int64 = 64 << 20
    /// Largest log chunk an agent may post at once.
    var logChunkMaxBytes = 1 << 20
    /// How long a lease lives without a heartbeat.
    var leaseTTLSeconds = 45
    /// How often agents renew their leases.
    var heartbeatIntervalSeconds = 10
    /// Longest a lease request may wait for work (and the default wait).
    var leaseWaitSeconds = 30.0
    /// After SIGTERM, how long requests and background services may take to end before they are cancelled.
    var shutdownTimeoutSeconds = 10
    /// How often the reaper looks for expired leases.
    var reaperIntervalSeconds = 2.0
    /// A node not heard from for this long is marked offline.
    var nodeOfflineAfterSeconds = 90
    /// Consecutive infrastructure failures (error, lost) after which a node is disabled.
    var nodeMaxInfraFailures = 3
    /// A waiting task gains one priority step per this many seconds without a dispatch.
    var agingIntervalSeconds = 60
    /// After an infrastructure failure, how long a case avoids the node it failed on.
    var retryAvoidSeconds = 60
    var sessionTTLSeconds = 12 * 3600
    /// The highest task priority a member may submit; admins may use any.
    var memberMaxPriority = 10
    /// Finished tasks older than this many days are deleted with everything they hold; 0 keeps them.
    var retentionDays = 90.0
    /// The case logs of finished tasks older than this many days are deleted (results, runs and reports stay);
    /// 0 keeps them.
    var logRetentionDays = 30.0
    /// How often the retention sweep looks for what to delete.
    var retentionIntervalSeconds = 600.0
    /// Password for the first admin (environment only: `TESTFLEET_ADMIN_PASSWORD`); random otherwise.
    var adminPassword: String?

    enum LogFormat: String, Sendable {
        case text, json
    }

    static var defaultDataDirectory: URL {
        if geteuid() == 0 { return URL(fileURLWithPath: "/var/lib/testfleet") }
        let base =
            ProcessInfo.processInfo.environment["XDG_DATA_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share")
        return base.appendingPathComponent("testfleet")
    }

    /// The URL the controller is reached at: `public_url`, else built from the host name and port.
    var effectivePublicURL: String {
        if let publicURL { return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }
        let scheme = insecureHTTP ? "http" : "https"
        let host: String
        switch self.host {
        case "0.0.0.0", "::", "": host = TLSSetup.hostNames().first ?? "localhost"
        default: host = self.host.contains(":") ? "[\(self.host)]" : self.host
        }
        return "\(scheme)://\(host):\(port)"
    }
}

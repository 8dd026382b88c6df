import Foundation

/// Body of `POST /api/v1/agent/install-jobs/{id}/log` (appended text) and heartbeats.
public struct InstallProgress: Codable, Sendable {
    public var token: Int64
    public var log: String

    public init(token: Int64, log: String) {
        self.token = token
        self.log = log
    }
}

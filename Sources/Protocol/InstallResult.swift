import Foundation

/// Body of `POST /api/v1/agent/install-jobs/{id}/result`.
public struct InstallResult: Codable, Sendable {
    public var token: Int64
    public var succeeded: Bool
    public var message: String?
    /// Where each item ended up: `product`, and `tool:<name>:<version>`.
    public var paths: [String: String]

    public init(token: Int64, succeeded: Bool, message: String?, paths: [String: String]) {
        self.token = token
        self.succeeded = succeeded
        self.message = message
        self.paths = paths
    }

    public static func toolKey(name: String, version: String) -> String { "tool:\(name):\(version)" }
}

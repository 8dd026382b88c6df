import Foundation

public struct HeartbeatResponse: Codable, Sendable {
    /// The case was cancelled: kill it and report `cancelled`.
    public var cancel: Bool
    public var expiresAt: Date

    public init(cancel: Bool, expiresAt: Date) {
        self.cancel = cancel
        self.expiresAt = expiresAt
    }
}

import Foundation

/// An API token as listed; the secret itself is shown only once, at creation.
public struct APIToken: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(id: Int64, name: String, prefix: String, createdAt: Date, lastUsedAt: Date?) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

import Foundation

public struct User: Codable, Sendable, Equatable {
    public var id: Int64
    public var username: String
    public var role: UserRole
    /// A disabled user can neither sign in nor use their API tokens.
    public var disabled: Bool
    public var createdAt: Date

    public init(id: Int64, username: String, role: UserRole, disabled: Bool = false, createdAt: Date) {
        self.id = id
        self.username = username
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

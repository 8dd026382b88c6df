import Foundation

/// Body of `POST /api/v1/users`.
public struct UserInput: Codable, Sendable {
    public var username: String
    public var password: String
    public var role: UserRole?

    public init(username: String, password: String, role: UserRole? = nil) {
        self.username = username
        self.password = password
        self.role = role
    }
}

import Foundation

/// Body of `PATCH /api/v1/users/{id}` (admin): what to change; absent fields stay as they are.
public struct UserPatch: Codable, Sendable, Equatable {
    public var disabled: Bool?
    public var role: UserRole?
    /// A new password, set by the admin.
    public var password: String?

    public init(disabled: Bool? = nil, role: UserRole? = nil, password: String? = nil) {
        self.disabled = disabled
        self.role = role
        self.password = password
    }
}

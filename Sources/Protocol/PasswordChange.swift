import Foundation

/// Body of `POST /api/v1/auth/password`: the caller changes their own password.
public struct PasswordChange: Codable, Sendable {
    public var currentPassword: String
    public var newPassword: String

    public init(currentPassword: String, newPassword: String) {
        self.currentPassword = currentPassword
        self.newPassword = newPassword
    }
}

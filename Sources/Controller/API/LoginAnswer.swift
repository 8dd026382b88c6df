import WireProtocol

/// The answer to a login.
struct LoginAnswer: Codable, Sendable {
    var username: String
    var role: UserRole
    /// Send as `X-CSRF-Token` with changing requests made with the session cookie.
    var csrfToken: String
}

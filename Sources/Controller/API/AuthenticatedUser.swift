import WireProtocol

struct AuthenticatedUser: Sendable {
    enum Method: Sendable {
        case session(csrfToken: String)
        case token
        case password
    }

    var id: Int64
    var username: String
    var role: UserRole
    var method: Method

    var isAdmin: Bool { role == .admin }
}

import Foundation
import Hummingbird
import WireProtocol

/// The user behind a web request. Pages accept only the session cookie, so that every form can carry the
/// session's CSRF token.
struct WebUser: Sendable {
    var id: Int64
    var username: String
    var role: UserRole
    var csrfToken: String
    /// The client address of the request.
    var address: String?

    var isAdmin: Bool { role == .admin }

    /// The user as the author of the changes a form makes.
    var caller: Caller { Caller(userID: id, name: username, role: role, address: address) }

    static let csrfField = "csrf_token"

    /// 403 unless the form carries this session's CSRF token.
    func checkCSRF(_ form: WebForm) throws {
        try checkCSRF(form[Self.csrfField])
    }

    /// 403 unless `token` is this session's CSRF token.
    func checkCSRF(_ token: String?) throws {
        guard let token, Self.constantTimeEqual(token, csrfToken) else {
            throw AppError.forbidden("the form's CSRF token is missing or out of date: reload the page and try again")
        }
    }

    /// 403 unless the user is an admin.
    func requireAdmin() throws {
        guard isAdmin else { throw AppError.forbidden("this needs the admin role; \(username) is a \(role.rawValue)") }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

extension AppRequestContext {
    /// The signed-in user of a page; without a session, a redirect to the login page.
    func webUser(_ request: Request) throws -> WebUser {
        guard let user = sessionUser else { throw WebRedirect.login(returningTo: request) }
        return user
    }

    /// The form a signed-in user submitted, its CSRF token checked; with `admin`, only an admin's.
    func webForm(_ request: Request, admin: Bool = false) async throws -> (user: WebUser, form: WebForm) {
        let user = try webUser(request)
        let form = try await WebForm.read(request, context: self)
        try user.checkCSRF(form)
        if admin { try user.requireAdmin() }
        return (user, form)
    }

    /// The user when the request came with a session cookie.
    var sessionUser: WebUser? {
        guard case .user(let user) = identity, case .session(let csrf) = user.method else { return nil }
        return WebUser(id: user.id, username: user.username, role: user.role, csrfToken: csrf, address: clientAddress)
    }
}

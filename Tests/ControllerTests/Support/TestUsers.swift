import ControllerClient
import Foundation
import WireProtocol

@testable import testfleet_controller

/// A user made for a test, with an API token of their own.
struct TestUser {
    let user: User
    let password: String
    let token: String
    /// A client sending `token`.
    let client: ControllerClient

    var id: Int64 { user.id }
    var basic: String { "Basic " + Data("\(user.username):\(password)".utf8).base64EncodedString() }
}

extension TestController {
    /// Creates a user through the API (as the admin) and gives them an API token. The token is made in the
    /// repository: it saves a password check, and the many tests running at once share the threads that check
    /// passwords.
    func makeUser(_ name: String, role: UserRole = .member, password: String? = nil) async throws -> TestUser {
        let password = password ?? "password-of-\(name)"
        let created = try await admin.request(.POST, "/api/v1/users", json: UserInput(username: name, password: password, role: role))
        guard created.status == 201 else { throw TestFailure("creating \(name): \(created.status) \(created.text)") }
        let user = try created.decode(User.self)
        let caller = Caller(userID: user.id, name: name, role: role, address: nil)
        let token = try await services.users.createToken(userID: user.id, name: "tests", by: caller).token
        return TestUser(user: user, password: password, token: token, client: try client(bearer: token))
    }
}

extension ControllerEndpoint {
    /// Opens a web session through the API login; returns the `Cookie` header value and the CSRF token.
    func logIn(_ name: String, _ password: String) async throws -> (cookie: String, csrf: String) {
        let login = try await client(bearer: nil).request(.POST, "/api/v1/auth/login", json: LoginInput(username: name, password: password))
        guard login.status == 200, let cookie = login.header("Set-Cookie") else {
            throw TestFailure("login as \(name): \(login.status) \(login.text)")
        }
        return (String(cookie.split(separator: ";")[0]), try login.decode(LoginAnswer.self).csrfToken)
    }
}

import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

@Suite("Users, tokens, sessions and roles")
struct AuthTests {
    @Test("no credentials 401, bad token 401, member on admin routes 403, basic auth and revoked tokens")
    func roles() async throws {
        try await withController { controller in
            let anonymous = try controller.client(bearer: nil)
            let none = try await anonymous.request(.GET, "/api/v1/products")
            #expect(none.status == 401)
            #expect(none.header("WWW-Authenticate") != nil)
            let bad = try controller.client(bearer: "tfu_not-a-token")
            #expect(try await bad.request(.GET, "/api/v1/products").status == 401)

            let member = try await controller.admin.request(
                .POST,
                "/api/v1/users",
                json: UserInput(username: "mia", password: "member-password", role: .member)
            )
            #expect(member.status == 201)
            #expect(try member.decode(User.self).role == .member)
            #expect(
                try await controller.admin.request(.POST, "/api/v1/users", json: UserInput(username: "mia", password: "other-password"))
                    .status == 409
            )
            #expect(
                try await controller.admin.request(.POST, "/api/v1/users", json: UserInput(username: "short", password: "x")).status
                    == 422
            )
            let basic = "Basic " + Data("mia:member-password".utf8).base64EncodedString()
            let tokenAnswer = try await anonymous.request(
                .POST,
                "/api/v1/tokens",
                json: TokenInput(name: "ci"),
                headers: [("Authorization", basic)]
            )
            #expect(tokenAnswer.status == 201)
            let token = try tokenAnswer.decode(CreatedToken.self)
            #expect(token.token.hasPrefix("tfu_"))
            let wrongPassword = "Basic " + Data("mia:nope".utf8).base64EncodedString()
            #expect(try await anonymous.request(.GET, "/api/v1/products", headers: [("Authorization", wrongPassword)]).status == 401)

            let mia = try controller.client(bearer: token.token)
            #expect(try await mia.request(.GET, "/api/v1/products").status == 200)
            let forbidden = try await mia.request(.POST, "/api/v1/products", json: ProductInput(name: "p", version: "1"))
            #expect(forbidden.status == 403)
            #expect(forbidden.errorMessage?.contains("admin") == true)
            #expect(try await mia.request(.GET, "/api/v1/users").status == 403)
            #expect(try await mia.request(.POST, "/api/v1/enrollment-tokens", json: EnrollmentTokenInput()).status == 403)
            #expect(try await mia.request(.GET, "/api/v1/auth/me").decode(User.self).username == "mia")

            let tokens = try await mia.request(.GET, "/api/v1/tokens").decode(Page<APIToken>.self)
            #expect(tokens.items.map(\.name) == ["ci"])
            #expect(!tokens.items[0].prefix.isEmpty && !token.token.isEmpty)
            #expect(try await mia.request(.DELETE, "/api/v1/tokens/\(token.id)").status == 204)
            #expect(try await mia.request(.GET, "/api/v1/products").status == 401)

            let users = try await controller.admin.request(.GET, "/api/v1/users").decode(Page<User>.self)
            #expect(Set(users.items.map(\.username)) == ["admin", "mia"])
        }
    }

    @Test("login sets a Secure, HttpOnly, SameSite=Strict session cookie that authenticates API calls")
    func sessions() async throws {
        try await withController { controller in
            let anonymous = try controller.client(bearer: nil)
            let wrong = try await anonymous.request(.POST, "/api/v1/auth/login", json: LoginInput(username: "admin", password: "nope-nope"))
            #expect(wrong.status == 401)
            let login = try await anonymous.request(
                .POST,
                "/api/v1/auth/login",
                json: LoginInput(username: "admin", password: TestController.adminPassword)
            )
            #expect(login.status == 200)
            let cookie = try #require(login.header("Set-Cookie"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"))
            let pair = String(cookie.split(separator: ";")[0])
            let me = try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", pair)])
            #expect(try me.decode(User.self).username == "admin")
            let csrf = try login.decode(LoginAnswer.self).csrfToken
            let noCSRF = try await anonymous.request(.POST, "/api/v1/tokens", json: TokenInput(name: "x"), headers: [("Cookie", pair)])
            #expect(noCSRF.status == 403)
            let withCSRF = try await anonymous.request(
                .POST,
                "/api/v1/tokens",
                json: TokenInput(name: "x"),
                headers: [("Cookie", pair), ("X-CSRF-Token", csrf)]
            )
            #expect(withCSRF.status == 201)
            #expect(try await anonymous.request(.POST, "/api/v1/auth/logout", headers: [("Cookie", pair)]).status == 204)
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", pair)]).status == 401)
        }
    }

    @Test("tokens and passwords are stored hashed, never in clear")
    func storedHashed() async throws {
        try await withController { controller in
            let database = controller.services.database
            let hashes = try await database.query("SELECT token_hash FROM api_tokens").collect(Data.self)
            #expect(hashes.count == 1 && hashes[0] != Data(controller.adminToken.utf8) && hashes[0].count == 32)
            let password = try await database.query("SELECT password_hash FROM users WHERE username = 'admin'").collect(String.self)[0]
            #expect(password.hasPrefix("$2") && !password.contains(TestController.adminPassword))
        }
    }
}

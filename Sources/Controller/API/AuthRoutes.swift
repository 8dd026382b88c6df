import Foundation
import Hummingbird
import WireProtocol

/// Login, logout, who am I, one's own password; API tokens.
struct AuthRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.post("auth/login") { request, context -> Response in
            let input = try await request.decode(as: LoginInput.self, context: context)
            let login = try await logIn(username: input.username, password: input.password)
            var response = try context.responseEncoder.encode(
                LoginAnswer(username: login.user.username, role: login.user.role, csrfToken: login.csrfToken),
                from: request,
                context: context
            )
            response.setCookie(login.cookie)
            return response
        }
        api.post("auth/logout") { request, _ -> Response in
            var response = Response(status: .noContent)
            response.setCookie(try await logOut(request))
            return response
        }
        api.get("auth/me") { _, context -> User in
            let user = try context.requireUser()
            guard let found = try await services.users.find(username: user.username) else {
                throw AppError.unauthorized("user no longer exists")
            }
            return found
        }
        api.post("auth/password") { request, context -> Response in
            let caller = try context.caller()
            let input = try await request.decode(as: PasswordChange.self, context: context)
            try await services.users.changeOwnPassword(input, by: caller)
            return Response(status: .noContent)
        }
        api.post("tokens") { request, context -> EditedResponse<CreatedToken> in
            let caller = try context.caller()
            let input = try await Self.optionalBody(TokenInput.self, request, context) ?? TokenInput()
            let token = try await services.users.createToken(userID: try context.requireUser().id, name: input.name ?? "token", by: caller)
            return EditedResponse(status: .created, response: token)
        }
        api.get("tokens") { _, context -> Page<APIToken> in
            let user = try context.requireUser()
            return Page(items: try await services.users.listTokens(userID: user.id), nextCursor: nil)
        }
        api.delete("tokens/:id") { request, context -> Response in
            try await services.users.deleteToken(id: try request.id(context), by: try context.caller())
            return Response(status: .noContent)
        }
    }

    /// A successful login: the user, the session's CSRF token and the cookie that carries the session.
    struct Login: Sendable {
        var user: AuthenticatedUser
        var csrfToken: String
        var cookie: Cookie
    }

    /// Checks the password and opens a session; 401 when the credentials are wrong. The API and the web
    /// login both start sessions here.
    func logIn(username: String, password: String) async throws -> Login {
        guard let user = try await services.users.authenticate(username: username, password: password)
        else { throw AppError.unauthorized("wrong username or password") }
        let session = try await services.users.createSession(userID: user.id, ttlSeconds: services.config.sessionTTLSeconds)
        return Login(
            user: user,
            csrfToken: session.csrfToken,
            cookie: sessionCookie(session.token, maxAge: services.config.sessionTTLSeconds)
        )
    }

    /// Ends the request's session, if any; returns the cookie that clears it in the browser.
    func logOut(_ request: Request) async throws -> Cookie {
        if let token = request.cookies[AuthMiddleware.sessionCookie]?.value {
            try await services.users.deleteSession(token: token)
        }
        return sessionCookie("", maxAge: 0)
    }

    private func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: AuthMiddleware.sessionCookie,
            value: value,
            maxAge: maxAge,
            path: "/",
            secure: !services.config.insecureHTTP,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// Decodes a JSON body when there is one.
    static func optionalBody<T: Decodable>(
        _ type: T.Type,
        _ request: Request,
        _ context: AppRequestContext
    )
        async throws -> T?
    {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return nil }
        return try WireRequestDecoder.decode(T.self, from: Data(buffer: buffer))
    }
}

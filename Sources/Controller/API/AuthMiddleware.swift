import Foundation
import HTTPTypes
import Hummingbird
import Logging
import WireProtocol

/// Works out who is calling from the `Authorization` header or the session cookie. Credentials that are
/// present but wrong are refused with 401 here; routes decide what an anonymous caller may do.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    static let sessionCookie = "testfleet_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let users: UserRepository
    let nodes: NodeRepository

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            context.identity = try await identify(authorization: authorization)
        } else if let cookie = request.cookies[Self.sessionCookie]?.value,
            let user = try await users.user(forSession: cookie)
        {
            if request.uri.path.hasPrefix("/api/"), !request.method.isSafe, request.uri.path != "/api/v1/auth/logout",
                case .session(let csrf) = user.method, request.headers[Self.csrfHeader] != csrf
            {
                throw AppError.forbidden("missing or wrong X-CSRF-Token header for a session-authenticated request")
            }
            context.identity = .user(user)
        }
        if case .user(let user) = context.identity {
            context.logger[metadataKey: "testfleet.user"] = .string(user.username)
        } else if case .node(let node) = context.identity {
            context.logger[metadataKey: "testfleet.node.id"] = .stringConvertible(node.id)
            // Every request of an agent is contact: one that only renews its leases while its slots are busy
            // is not silent.
            try await nodes.touch(nodeID: node.id)
        }
        return try await next(request, context)
    }

    private func identify(authorization: String) async throws -> Identity? {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { throw AppError.unauthorized("malformed Authorization header") }
        let scheme = parts[0].lowercased()
        let value = String(parts[1]).trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "bearer":
            if value.hasPrefix("tfn_") {
                switch try await nodes.authenticate(credential: value) {
                case .node(let node): return .node(node)
                case .revoked(let name): throw AppError.unauthorized("the credential of node \(name) was revoked")
                case .unknown: throw AppError.unauthorized("unknown node credential")
                }
            }
            // Enrollment tokens are checked by the enroll route itself; elsewhere they identify no one.
            if value.hasPrefix("tfe_") { return nil }
            guard let user = try await users.user(forToken: value) else {
                throw AppError.unauthorized("invalid or revoked API token")
            }
            return .user(user)
        case "basic":
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":"), StorableText.firstRefused(in: text) == nil
            else { throw AppError.unauthorized("malformed basic credentials") }
            let username = String(text[..<colon])
            let password = String(text[text.index(after: colon)...])
            guard let user = try await users.authenticate(username: username, password: password) else {
                throw AppError.unauthorized("wrong username or password")
            }
            return .user(user)
        default:
            throw AppError.unauthorized("unsupported authorization scheme \(parts[0]); use Bearer or Basic")
        }
    }
}

extension HTTPRequest.Method {
    /// Methods that change nothing.
    var isSafe: Bool { self == .get || self == .head || self == .options }
}

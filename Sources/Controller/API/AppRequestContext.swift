import Foundation
import Hummingbird
import NIOCore
import WireProtocol

/// The request context of every route: the caller's identity and Testfleet's JSON conventions.
struct AppRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var identity: Identity?
    /// The connection the request came on: a long-poll stops when it closes.
    let channel: (any Channel)?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Large enough for a task of 100,000 cases posted as JSON.
    var maxUploadSize: Int { 64 << 20 }
    var requestDecoder: WireRequestDecoder { WireRequestDecoder() }
    var responseEncoder: WireResponseEncoder { WireResponseEncoder() }

    /// The calling user, or 401.
    func requireUser() throws -> AuthenticatedUser {
        switch identity {
        case .user(let user): return user
        case .node: throw AppError.forbidden("this endpoint is for users, not agents")
        case nil: throw AppError.unauthorized("authentication required: send a bearer token, a session cookie or basic credentials")
        }
    }

    /// The calling user if an admin; 401 or 403 otherwise.
    func requireAdmin() throws -> AuthenticatedUser {
        let user = try requireUser()
        guard user.isAdmin else { throw AppError.forbidden("this needs the admin role; \(user.username) is a \(user.role.rawValue)") }
        return user
    }

    /// The calling node, or 401.
    func requireNode() throws -> AuthenticatedNode {
        switch identity {
        case .node(let node): return node
        case .user: throw AppError.forbidden("this endpoint is for agents: authenticate with the node credential")
        case nil: throw AppError.unauthorized("authentication required: send the node credential as a bearer token")
        }
    }
}

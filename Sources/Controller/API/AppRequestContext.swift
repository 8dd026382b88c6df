import Foundation
import Hummingbird
import NIOCore
import WireProtocol

/// Who is calling: a user (by session, API token or password) or a node (by its credential).
enum Identity: Sendable {
    case user(AuthenticatedUser)
    case node(AuthenticatedNode)
}

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

struct AuthenticatedNode: Sendable {
    var id: Int64
    var name: String
}

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

/// Decodes JSON bodies the Testfleet way and turns decoding failures into 400 (malformed) or 422 (wrong
/// shape, or text a field cannot hold, naming the field).
struct WireRequestDecoder: RequestDecoder {
    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        if let contentType = request.headers[.contentType], !contentType.lowercased().contains("json") {
            throw AppError(.unsupportedMediaType, "expected a JSON body (Content-Type: application/json), got \(contentType)")
        }
        return try Self.decode(type, from: Data(buffer: buffer))
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            // Text a field cannot hold is named first, whatever else is wrong with the body.
            try TextInputCheck.check(json: data)
            return try WireJSON.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: DecodingError) -> AppError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            let text = keys.map { key in
                key.intValue.map { "[\($0)]" } ?? "." + snakeCase(key.stringValue)
            }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .badRequest("malformed JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)")
        case .dataCorrupted(let context):
            return .unprocessable("\(path(context.codingPath)): \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            return .unprocessable("\(path(context.codingPath, key)): required field is missing")
        case .typeMismatch(let type, let context):
            return .unprocessable("\(path(context.codingPath)): expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return .unprocessable("\(path(context.codingPath)): expected \(describe(type)), got null")
        @unknown default:
            return .badRequest("malformed JSON")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object or \(String(describing: type))"
        }
    }

    private static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// Encodes responses as JSON with Testfleet's conventions.
struct WireResponseEncoder: ResponseEncoder {
    func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try WireJSON.encoder().encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(data.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import WireProtocol
import _ConnectionPoolModule

/// Gives every failure the JSON error shape, and turns anything unexpected into a logged 500 (or 503 when
/// the database is out of reach) without leaking internals.
struct ErrorMiddleware: FailureAnsweringMiddleware {
    /// The error as an ``AppError``, which the router answers with its status and JSON body.
    func answer(_ error: any Error, to request: Request, context: AppRequestContext) throws -> Response {
        throw Self.translate(error, request: request, context: context)
    }

    /// Any failure as the error the caller sees: an ``AppError`` with the right status and a safe message.
    /// Unexpected failures are logged here.
    static func translate(_ error: any Error, request: Request, context: AppRequestContext) -> AppError {
        switch error {
        case let error as AppError:
            return error
        case let error as StoreError:
            return AppError(error)
        case let error as HTTPError:
            // Hummingbird's own errors (unknown route, body too large, bad parameters) in our shape.
            var converted = AppError(error.status, error.body ?? Self.defaultMessage(error.status, request))
            converted.headers = error.headers
            return converted
        case let error as PSQLError:
            let translated = Database.translate(error)
            if let refusal = translated as? StoreError { return AppError(refusal) }
            if error.code == .connectionError || error.code == .serverClosedConnection || error.code == .poolClosed {
                context.logger.error("database unreachable: \(String(reflecting: error))")
                return unreachable
            }
            context.logger.error(
                "database error",
                metadata: ["testfleet.error": .string(String(reflecting: error))]
            )
            return AppError(.internalServerError, "internal error (database); see the controller log")
        case is CancellationError:
            var unavailable = AppError(.serviceUnavailable, "the controller is shutting down")
            unavailable.headers[.retryAfter] = "2"
            return unavailable
        case is DatabaseUnreachable:
            // Said once by the notification listener when it lost the database, not again for every request.
            return unreachable
        case is ConnectionPoolError:
            // The pool cannot open connections: PostgreSQL is down or refusing them.
            context.logger.error("database unreachable: \(String(reflecting: error))")
            return unreachable
        default:
            context.logger.error("unexpected error", metadata: ["testfleet.error": .string(String(reflecting: error))])
            return AppError(.internalServerError, "internal error; see the controller log")
        }
    }

    /// The answer while PostgreSQL is out of reach.
    static var unreachable: AppError {
        var unavailable = AppError(.serviceUnavailable, "the database is unreachable; try again shortly")
        unavailable.headers[.retryAfter] = "2"
        return unavailable
    }

    static func defaultMessage(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status {
        case .notFound where WebErrorMiddleware.isPage(request.uri.path): "no such page: \(request.uri.path)"
        case .notFound: "no such endpoint: \(request.method) \(request.uri.path)"
        case .contentTooLarge: "request body too large"
        case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
        default: status.reasonPhrase
        }
    }
}

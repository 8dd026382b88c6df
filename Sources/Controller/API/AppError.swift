import Hummingbird
import NIOCore
import WireProtocol

/// An error the API answers with: a status and a message a user can act on.
struct AppError: Error, HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String
    /// For a refused log chunk: where the controller's copy ends.
    var offset: Int64?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, offset: Int64? = nil) {
        self.status = status
        self.message = message
        self.offset = offset
    }

    var description: String { "\(status.code) \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var buffer = ByteBuffer()
        let body = try WireJSON.encoder().encode(ErrorBody(message: message, offset: offset))
        buffer.writeBytes(body)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: buffer))
    }

    static func badRequest(_ message: String) -> AppError { AppError(.badRequest, message) }
    static func unauthorized(_ message: String) -> AppError {
        var error = AppError(.unauthorized, message)
        error.headers[.wwwAuthenticate] = #"Bearer realm="testfleet""#
        return error
    }
    static func forbidden(_ message: String) -> AppError { AppError(.forbidden, message) }
    static func notFound(_ message: String) -> AppError { AppError(.notFound, message) }
    static func conflict(_ message: String) -> AppError { AppError(.conflict, message) }
    static func unprocessable(_ message: String) -> AppError { AppError(.unprocessableContent, message) }
}

extension AppError {
    /// Storage's refusal as the answer it gets: the one place where a kind of refusal becomes a status.
    init(_ error: StoreError) {
        switch error.kind {
        case .notFound: self = .notFound(error.reason)
        case .gone: self = AppError(.gone, error.reason)
        case .conflict: self = AppError(.conflict, error.reason, offset: error.offset)
        case .invalid: self = .unprocessable(error.reason)
        case .credentialRefused: self = .unauthorized(error.reason)
        case .notPermitted: self = .forbidden(error.reason)
        }
    }

    /// A refusal with one of `statuses`, from the API's own checks or from storage, as a page shows it beside its
    /// form; nil for anything else.
    static func refusal(_ error: any Error, among statuses: [HTTPResponse.Status]) -> AppError? {
        let refusal =
            switch error {
            case let error as AppError: error
            case let error as StoreError: AppError(error)
            default: AppError?.none
            }
        return refusal.flatMap { statuses.contains($0.status) ? $0 : nil }
    }
}

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

import Foundation
import WireProtocol

/// A failed call to the controller: the HTTP status and the controller's own message, or why it could not
/// be reached.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    /// `nil` when no answer came (network, TLS).
    public var status: Int?
    public var message: String
    /// For a refused log chunk: where the controller's copy ends.
    public var offset: Int64?

    public init(status: Int?, message: String, offset: Int64? = nil) {
        self.status = status
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let status { return "\(message) (HTTP \(status))" }
        return message
    }

    /// The controller could not be reached or the connection failed: try again later.
    public var isTransient: Bool {
        guard let status else { return true }
        return status == 502 || status == 503 || status == 504 || status == 429
    }

    /// The error a non-2xx answer stands for.
    public init(answer: ControllerClient.Answer) {
        self = Self.fromBody(status: answer.status, body: answer.body)
    }

    static func fromBody(status: Int, body: Data) -> ClientError {
        if let decoded = try? WireJSON.decoder().decode(ErrorBody.self, from: body) {
            return ClientError(status: status, message: decoded.error.message, offset: decoded.error.offset)
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return ClientError(status: status, message: text.isEmpty ? "HTTP \(status)" : text)
    }
}

import ControllerClient
import Foundation
import NIOHTTP1
import WireProtocol

/// Shorthand for API calls in tests: the status and the decoded body or error message.
struct APIAnswer {
    var status: Int
    var body: Data
    var headers: [(String, String)]

    var text: String { String(decoding: body, as: UTF8.self) }

    var errorMessage: String? {
        (try? WireJSON.decoder().decode(ErrorBody.self, from: body))?.error.message
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try WireJSON.decoder().decode(T.self, from: body)
    }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

extension ControllerClient {
    /// Sends `json` (an Encodable, a raw JSON string, or nothing) and returns whatever came back.
    func request(
        _ method: HTTPMethodName,
        _ path: String,
        json: (any Encodable)? = nil,
        raw: String? = nil,
        contentType: String = "application/json",
        headers: [(String, String)] = []
    ) async throws -> APIAnswer {
        var body: Data?
        if let json { body = try WireJSON.encoder().encode(json) }
        if let raw { body = Data(raw.utf8) }
        let answer = try await send(
            method.nio,
            path,
            body: body,
            contentType: contentType,
            headers: headers,
            timeout: .seconds(60)
        )
        return APIAnswer(status: answer.status, body: answer.body, headers: answer.headers)
    }
}

enum HTTPMethodName {
    case GET, POST, PUT, PATCH, DELETE

    var nio: NIOHTTP1.HTTPMethod {
        switch self {
        case .GET: .GET
        case .POST: .POST
        case .PUT: .PUT
        case .PATCH: .PATCH
        case .DELETE: .DELETE
        }
    }
}

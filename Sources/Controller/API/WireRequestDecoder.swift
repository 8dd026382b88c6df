import Foundation
import Hummingbird
import NIOCore
import WireProtocol

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

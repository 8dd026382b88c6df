import Hummingbird
import NIOCore

/// Reads a small `multipart/form-data` body into fields; a file part's content becomes the field's value.
enum FormReader {
    static func read(_ request: Request, maxBytes: Int) async throws -> [String: String] {
        var scanner = try MultipartScanner(requestContentType: request.headers[.contentType])
        var fields: [String: String] = [:]
        var current: String?
        var value: [UInt8] = []
        var total = 0
        for try await chunk in request.body {
            total += chunk.readableBytes
            guard total <= maxBytes else { throw AppError(.contentTooLarge, "form larger than \(maxBytes) bytes") }
            for event in try scanner.events(in: chunk) {
                switch event {
                case .partStart(let headers):
                    current = MultipartScanner.disposition(headers["content-disposition"]).name
                    value = []
                case .bytes(let bytes):
                    value.append(contentsOf: bytes)
                case .partEnd:
                    if let current, !(fields[current] != nil && value.isEmpty) {
                        fields[current] = String(decoding: value, as: UTF8.self)
                    }
                    current = nil
                }
            }
        }
        try TextInputCheck.check(fields: fields.map { (name: $0.key, value: $0.value) })
        return fields
    }
}

import Hummingbird
import NIOCore

/// Scanning a request's body: what is wrong with it is the client's mistake (400).
extension MultipartScanner {
    /// A scanner for a body of `contentType`; 400 without a usable boundary.
    init(requestContentType contentType: String?) throws {
        guard let contentType, let boundary = Self.boundary(contentType: contentType) else {
            throw AppError.badRequest("multipart body without a usable boundary")
        }
        self.init(boundary: boundary)
    }

    /// What a chunk of the body completes.
    mutating func events(in chunk: ByteBuffer) throws -> [Event] {
        do {
            return try feed(chunk.readableBytesView)
        } catch {
            throw AppError.badRequest("\(error)")
        }
    }
}

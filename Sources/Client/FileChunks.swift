import Foundation
import NIOCore
import NIOFoundationCompat

/// A file read front to back in chunks, as an upload's request body.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: URL
    var chunkSize = 1 << 20

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: URL
        let chunkSize: Int
        var handle: FileHandle?
        var done = false

        mutating func next() async throws -> ByteBuffer? {
            if done { return nil }
            if handle == nil { handle = try FileHandle(forReadingFrom: file) }
            guard let data = try handle?.read(upToCount: chunkSize), !data.isEmpty else {
                try handle?.close()
                done = true
                return nil
            }
            return ByteBuffer(data: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: file, chunkSize: chunkSize)
    }
}

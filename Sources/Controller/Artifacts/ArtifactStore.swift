import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// Uploaded product and tool artifacts, as files under `<data dir>/artifacts`.
struct ArtifactStore: Sendable {
    let directory: URL

    private func file(kind: CatalogKind, id: Int64) -> URL {
        directory.appendingPathComponent("\(kind.rawValue)-\(id)")
    }

    /// Streams an upload to disk, hashing as it goes; the previous artifact is replaced only when the new
    /// one arrived whole. Takes `multipart/form-data` (the first file part) or a raw body.
    func receive(kind: CatalogKind, id: Int64, request: Request, maxBytes: Int64) async throws -> Artifact {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o640])
        else { throw AppError(.internalServerError, "cannot write to the artifact directory") }
        defer { try? FileManager.default.removeItem(at: temporary) }
        let handle = try FileHandle(forWritingTo: temporary)
        var sink = Sink(handle: handle, maxBytes: maxBytes)
        let contentType = request.headers[.contentType] ?? "application/octet-stream"
        var filename: String
        if contentType.lowercased().hasPrefix("multipart/") {
            var scanner = try MultipartScanner(requestContentType: contentType)
            filename = "\(kind.rawValue)-\(id)"
            var inFile = false
            var fileSeen = false
            var fileDone = false
            for try await chunk in request.body {
                for event in try scanner.events(in: chunk) {
                    switch event {
                    case .partStart(let headers):
                        let (_, name) = MultipartScanner.disposition(headers["content-disposition"])
                        inFile = !fileSeen && name != nil
                        if inFile, let name {
                            fileSeen = true
                            filename = name
                        }
                    case .bytes(let bytes) where inFile:
                        try sink.write(bytes)
                    case .partEnd where inFile:
                        inFile = false
                        fileDone = true
                    default: break
                    }
                }
            }
            guard fileSeen, fileDone else {
                throw AppError.unprocessable("multipart body has no complete file part (a part with a filename)")
            }
        } else {
            filename = request.query("filename") ?? "\(kind.rawValue)-\(id)"
            for try await chunk in request.body { try sink.write(chunk.readableBytesView) }
        }
        try handle.close()
        filename = Self.sanitize(filename)
        try? FileManager.default.removeItem(at: file(kind: kind, id: id))
        try FileManager.default.moveItem(at: temporary, to: file(kind: kind, id: id))
        return Artifact(filename: filename, size: sink.size, sha256: sink.digest())
    }

    /// A download of a stored artifact.
    func download(
        kind: CatalogKind,
        id: Int64,
        artifact: Artifact,
        context: AppRequestContext
    ) async throws
        -> Response
    {
        let path = file(kind: kind, id: id).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw AppError.notFound("the artifact file of \(kind.rawValue) \(id) is missing on this controller")
        }
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/octet-stream",
                .contentDisposition: "attachment; filename=\"\(artifact.filename)\"",
                HTTPField.Name("X-Testfleet-SHA256")!: artifact.sha256,
            ],
            body: body
        )
    }

    func remove(kind: CatalogKind, id: Int64) throws {
        try FileManager.default.removeItem(at: file(kind: kind, id: id))
    }

    /// A file name without directories or characters that would break a header.
    static func sanitize(_ name: String) -> String {
        let base = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\"" && $0.value != 0x7F })
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "artifact" : String(cleaned.prefix(255))
    }

    /// Writes bytes to the file, counts and hashes them, and enforces the size limit.
    private struct Sink {
        let handle: FileHandle
        let maxBytes: Int64
        var size: Int64 = 0
        var hasher = SHA256()

        init(handle: FileHandle, maxBytes: Int64) {
            self.handle = handle
            self.maxBytes = maxBytes
        }

        mutating func write(_ bytes: some Collection<UInt8>) throws {
            size += Int64(bytes.count)
            guard size <= maxBytes else {
                throw AppError(.contentTooLarge, "artifact larger than the limit of \(maxBytes) bytes")
            }
            let data = Data(bytes)
            hasher.update(data: data)
            try handle.write(contentsOf: data)
        }

        func digest() -> String {
            hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }
}

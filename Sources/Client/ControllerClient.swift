import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import WireProtocol

/// Talks to a Testfleet controller over HTTPS: JSON in and out, errors carrying the controller's message.
/// Shared by the agent and the `testfleet` CLI.
public final class ControllerClient: Sendable {
    public typealias Method = HTTPMethod

    public let baseURL: String
    private let authorization: String?
    private let http: HTTPClient

    /// - Parameters:
    ///   - caCertificatePEM: the one CA to trust; `nil` trusts the system's roots.
    ///   - bearer: the credential sent as `Authorization: Bearer`.
    public init(baseURL: String, caCertificatePEM: String?, bearer: String?, maxConnections: Int = 16) throws {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.authorization = bearer.map { "Bearer \($0)" }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertificatePEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caCertificatePEM.utf8)))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections
        )
        configuration.timeout = .init(connect: .seconds(10))
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes connections; call before dropping the client.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// A raw answer.
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        public var headers: [(String, String)]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Sends a request and returns whatever came back; throws only when no answer came.
    public func send(
        _ method: HTTPMethod,
        _ path: String,
        body: Data? = nil,
        contentType: String = "application/json",
        headers extra: [(String, String)] = [],
        timeout: Duration = .seconds(30)
    ) async throws -> Answer {
        var request = makeRequest(method, path, headers: extra)
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: body))
        }
        return try await execute(request, timeout: timeout)
    }

    /// Streams a file as the request body (it is never read into memory whole) and returns the answer.
    public func upload(
        _ method: HTTPMethod,
        _ path: String,
        file: URL,
        contentType: String = "application/octet-stream",
        timeout: Duration = .seconds(4 * 3600)
    ) async throws -> Answer {
        let size: Int64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                throw ClientError(status: nil, message: "\(file.path) is not a regular file")
            }
            size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(status: nil, message: "cannot read \(file.path): \(error.localizedDescription)")
        }
        guard FileManager.default.isReadableFile(atPath: file.path) else {
            throw ClientError(status: nil, message: "cannot read \(file.path): permission denied")
        }
        var request = makeRequest(method, path, headers: [])
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .stream(FileChunks(file: file), length: .known(size))
        return try await execute(request, timeout: timeout)
    }

    private func makeRequest(_ method: HTTPMethod, _ path: String, headers extra: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let authorization, !extra.contains(where: { $0.0.lowercased() == "authorization" }) {
            request.headers.add(name: "Authorization", value: authorization)
        }
        request.headers.add(name: "User-Agent", value: "testfleet/\(TestfleetVersion.current)")
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        return request
    }

    private func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> Answer {
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let buffer = try await response.body.collect(upTo: 256 << 20)
            return Answer(
                status: Int(response.status.code),
                body: Data(buffer: buffer),
                headers: response.headers.map { ($0.name, $0.value) }
            )
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(status: nil, message: "cannot reach \(baseURL): \(Self.describe(error))")
        }
    }

    /// Sends JSON and decodes the JSON answer; a non-2xx answer throws with the controller's message.
    public func call<Response: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: (some Encodable)? = Optional<Empty>.none,
        as type: Response.Type,
        timeout: Duration = .seconds(30)
    ) async throws -> Response {
        let answer = try await exchange(method, path, body: body, timeout: timeout)
        do {
            return try WireJSON.decoder().decode(Response.self, from: answer.body)
        } catch {
            throw ClientError(status: answer.status, message: "unexpected answer from the controller: \(error)")
        }
    }

    /// Sends JSON and expects a 2xx with any body.
    public func perform(
        _ method: HTTPMethod,
        _ path: String,
        body: (some Encodable)? = Optional<Empty>.none,
        timeout: Duration = .seconds(30)
    ) async throws {
        _ = try await exchange(method, path, body: body, timeout: timeout)
    }

    /// Sends JSON and returns the answer when it is a 2xx; any other throws with the controller's message.
    private func exchange(_ method: HTTPMethod, _ path: String, body: (some Encodable)?, timeout: Duration) async throws -> Answer {
        let answer = try await send(method, path, body: try body.map { try WireJSON.encoder().encode($0) }, timeout: timeout)
        guard (200..<300).contains(answer.status) else { throw ClientError.fromBody(status: answer.status, body: answer.body) }
        return answer
    }

    /// A file downloaded to disk, with its size and SHA-256 (hex).
    public struct Download: Sendable {
        public var size: Int64
        public var sha256: String
    }

    /// Streams a GET to `file`, hashing as it goes; a non-2xx answer throws with the server's message.
    public func download(_ path: String, to file: URL, headers extra: [(String, String)] = []) async throws -> Download {
        try await Self.download(http: http, url: baseURL + path, authorization: authorization, to: file, headers: extra)
    }

    /// Streams a GET of an absolute URL (outside the controller, trusting the system's roots) to `file`.
    public static func download(url: String, to file: URL) async throws -> Download {
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .follow(max: 5, allowCycles: false)))
        do {
            let result = try await download(http: http, url: url, authorization: nil, to: file, headers: [])
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private static func download(
        http: HTTPClient,
        url: String,
        authorization: String?,
        to file: URL,
        headers extra: [(String, String)]
    ) async throws -> Download {
        var request = HTTPClientRequest(url: url)
        if let authorization, !extra.contains(where: { $0.0.lowercased() == "authorization" }) {
            request.headers.add(name: "Authorization", value: authorization)
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(2))
        } catch {
            throw ClientError(status: nil, message: "cannot download \(url): \(describe(error))")
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw ClientError.fromBody(status: Int(response.status.code), body: Data(buffer: body))
        }
        _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        for try await chunk in response.body {
            let data = Data(buffer: chunk)
            hasher.update(data: data)
            size += Int64(data.count)
            try handle.write(contentsOf: data)
        }
        return Download(size: size, sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// An empty JSON body placeholder.
    public struct Empty: Codable, Sendable {}

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "timed out"
            case .connectTimeout: return "connection timed out"
            case .remoteConnectionClosed: return "connection closed"
            default: return "\(error)"
            }
        }
        // NIO's own text for a refused or reset connection wraps the system's words in its own, with a stray
        // parenthesis; the system's words say it.
        if let error = error as? IOError {
            let reason = String(cString: strerror(error.errnoCode))
            return reason.prefix(1).lowercased() + reason.dropFirst()
        }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        return "\(error)"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

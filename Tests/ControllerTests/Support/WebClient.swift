import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A browser-like client for the web pages: it keeps cookies, does not follow redirects, and takes the CSRF
/// token from the last page it read, so that tests can submit forms the way a browser does. Its controller shuts it
/// down when it stops.
final class WebClient: Sendable {
    /// An answer: status, headers and the page's text.
    struct Answer: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var location: String? { header("Location") }
        var contentType: String { header("Content-Type") ?? "" }
    }

    let baseURL: String
    private let http: HTTPClient
    private let state = Mutex<(cookies: [String: String], csrf: String?)>(([:], nil))

    init(_ controller: TestController) throws {
        baseURL = controller.url
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(controller.caPEM.utf8)))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        controller.own(self)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// The CSRF token of the last page that had a form.
    var csrfToken: String? { state.withLock { $0.csrf } }

    var cookies: [String: String] { state.withLock { $0.cookies } }

    func get(_ path: String) async throws -> Answer {
        try await send(.GET, path, body: nil, contentType: nil)
    }

    /// Submits a URL-encoded form; with `csrf`, adds the token of the last page as a browser would.
    func post(_ path: String, _ fields: [(String, String)] = [], csrf: Bool = true) async throws -> Answer {
        var fields = fields
        if csrf, let token = csrfToken { fields.append(("csrf_token", token)) }
        let body = fields.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        return try await send(.POST, path, body: Data(body.utf8), contentType: "application/x-www-form-urlencoded")
    }

    /// Submits a `multipart/form-data` form; `files` are (field, file name, content).
    func postMultipart(
        _ path: String,
        _ fields: [(String, String)],
        files: [(String, String, String)] = [],
        csrf: Bool = true
    ) async throws -> Answer {
        var fields = fields
        if csrf, let token = csrfToken { fields.append(("csrf_token", token)) }
        let boundary = "testfleet-\(UUID().uuidString)"
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        for (name, filename, content) in files {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n"
            body += "Content-Type: text/plain\r\n\r\n\(content)\r\n"
        }
        body += "--\(boundary)--\r\n"
        return try await send(.POST, path, body: Data(body.utf8), contentType: "multipart/form-data; boundary=\(boundary)")
    }

    /// Logs in through the login form.
    func logIn(_ username: String = "admin", _ password: String = TestController.adminPassword) async throws {
        _ = try await get("/login")
        let answer = try await post("/login", [("username", username), ("password", password), ("next", "/")])
        guard answer.status == 303 else { throw TestFailure("login as \(username) failed: \(answer.status)") }
        _ = try await get("/")
    }

    /// Reads a server-sent event stream until `until` holds for the text so far or `timeout` passes; returns
    /// the text and whether the server ended the stream.
    func events(
        _ path: String,
        timeout: Duration = .seconds(10),
        progress: StreamProgress? = nil,
        until: (String) -> Bool
    ) async throws -> (text: String, ended: Bool) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Cookie", value: cookieHeader)
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        guard response.status.code == 200 else { throw TestFailure("event stream \(path): \(response.status.code)") }
        var text = ""
        do {
            for try await chunk in response.body {
                text += String(buffer: chunk)
                progress?.received(text)
                if until(text) { return (text, false) }
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return (text, false)
        }
        return (text, true)
    }

    private var cookieHeader: String {
        state.withLock { $0.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String?) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        let cookies = cookieHeader
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies) }
        if let body, let contentType {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
        let headers = response.headers.map { ($0.name, $0.value) }
        state.withLock { state in
            for (name, value) in headers where name.lowercased() == "set-cookie" {
                let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let key = String(pair[0])
                let cookieValue = pair.count > 1 ? String(pair[1]) : ""
                if cookieValue.isEmpty || value.contains("Max-Age=0") {
                    state.cookies[key] = nil
                } else {
                    state.cookies[key] = cookieValue
                }
            }
            if let match = text.firstMatch(of: /name="csrf_token" value="([^"]*)"/) { state.csrf = String(match.1) }
        }
        return Answer(status: Int(response.status.code), headers: headers, body: text)
    }

    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// What an event stream has received so far, for a test to wait on while the stream goes on.
final class StreamProgress: Sendable {
    private let text = Mutex("")

    var received: String { text.withLock { $0 } }

    func received(_ all: String) { text.withLock { $0 = all } }
}

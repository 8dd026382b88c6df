import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

@testable import testfleet_controller

/// A headless Chromium driven over the W3C WebDriver protocol: the test starts `chromedriver` on a free port
/// and talks JSON over plain HTTP to it.
final class WebDriver: @unchecked Sendable {
    private let process: Process
    private let http: HTTPClient
    /// chromedriver's address, and the session's below it.
    private let root: String
    private let base: String

    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Starts `chromedriver` and a browser session. Fails, with what to install, when chromedriver is missing.
    static func start(width: Int = 1280, height: Int = 900) async throws -> WebDriver {
        guard let driver = executable("chromedriver") else {
            throw TestFailure(
                "chromedriver is not installed: the browser test needs it and Chromium (Debian packages chromium and chromium-driver)"
            )
        }
        let port = try PortProbe.freePort()
        let process = Process()
        process.executableURL = driver
        process.arguments = ["--port=\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let base = "http://127.0.0.1:\(port)"
        do {
            try await waitUntil("chromedriver to become ready on port \(port)", every: .milliseconds(100)) {
                ((try? await call(http, .GET, base + "/status"))?["value"] as? [String: Any])?["ready"] as? Bool ?? false
            }
            var options: [String: Any] = [
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=\(width),\(height)"]
            ]
            if let chromium = executable("chromium") { options["binary"] = chromium.path }
            let capabilities: [String: Any] = [
                "browserName": "chrome", "acceptInsecureCerts": true, "goog:chromeOptions": options,
            ]
            let created = try await call(http, .POST, base + "/session", ["capabilities": ["alwaysMatch": capabilities]])
            guard let session = (created["value"] as? [String: Any])?["sessionId"] as? String else {
                throw TestFailure("chromedriver did not start a session: \(created)")
            }
            return WebDriver(process: process, http: http, root: base, base: base + "/session/" + session)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            try? await http.shutdown()
            throw error
        }
    }

    private init(process: Process, http: HTTPClient, root: String, base: String) {
        self.process = process
        self.http = http
        self.root = root
        self.base = base
    }

    /// Ends the session and stops chromedriver (which does not stop on SIGTERM: it is asked to, then killed).
    func quit() async {
        _ = try? await Self.call(http, .DELETE, base)
        _ = try? await Self.call(http, .GET, root + "/shutdown")
        // Waiting without blocking a thread that Swift tasks need.
        try? await waitUntil("chromedriver to stop", timeout: 2, every: .milliseconds(50)) { !process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? await http.shutdown()
    }

    func open(_ url: String) async throws {
        _ = try await command(.POST, "/url", ["url": url])
    }

    var url: String {
        get async throws { try await command(.GET, "/url") as? String ?? "" }
    }

    /// The first element matching a CSS selector.
    func find(_ selector: String) async throws -> String {
        let found = try await command(.POST, "/element", ["using": "css selector", "value": selector])
        guard let element = (found as? [String: Any])?[Self.elementKey] as? String else {
            throw TestFailure("no element matches \(selector) on \(try await url)")
        }
        return element
    }

    /// Clicks the element; live updates may replace it between finding and clicking, so a stale element is
    /// found again.
    func click(_ selector: String) async throws {
        var attempts = 0
        try await waitUntil("a click on \(selector)", timeout: 30, every: .milliseconds(200)) {
            attempts += 1
            do {
                _ = try await command(.POST, "/element/\(try await find(selector))/click", [:])
                return true
            } catch let error as TestFailure where attempts < 5 && error.description.contains("stale element") {
                return false
            }
        }
    }

    func type(_ selector: String, _ text: String) async throws {
        _ = try await command(.POST, "/element/\(try await find(selector))/value", ["text": text])
    }

    /// Runs JavaScript in the page and returns its result.
    @discardableResult
    func script(_ source: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command(.POST, "/execute/sync", ["script": source, "args": arguments])
    }

    /// Waits until the JavaScript expression is true; fails with `what` after `timeout`.
    func wait(_ what: String, timeout: Duration = .seconds(60), until expression: String) async throws {
        do {
            try await waitUntil(what, timeout: Double(timeout.components.seconds), every: .milliseconds(200)) {
                try await script("return Boolean(\(expression));") as? Bool == true
            }
        } catch let failure as TestFailure {
            throw TestFailure("\(failure), on \(try await url)")
        }
    }

    /// Opens `url`, which sends the browser to the login form, logs in and waits for the dashboard.
    func logIn(at url: String, username: String = "admin", password: String = TestController.adminPassword) async throws {
        try await open(url)
        try await wait("the login form", until: "document.querySelector('form[action=\"/login\"]')")
        try await type("#username", username)
        try await type("#password", password)
        try await click("form[action='/login'] button[type=submit]")
        try await wait("the dashboard", until: "document.title.startsWith('Dashboard')")
    }

    func resize(width: Int, height: Int) async throws {
        _ = try await command(.POST, "/window/rect", ["width": width, "height": height])
    }

    /// Makes pages see `prefers-color-scheme: dark` (or light again).
    func prefersDark(_ dark: Bool) async throws {
        let feature: [String: Any] = ["name": "prefers-color-scheme", "value": dark ? "dark" : "light"]
        _ = try await command(.POST, "/goog/cdp/execute", ["cmd": "Emulation.setEmulatedMedia", "params": ["features": [feature]]])
    }

    /// Saves a PNG of the viewport.
    func screenshot(to file: URL) async throws {
        guard let encoded = try await command(.GET, "/screenshot") as? String, let data = Data(base64Encoded: encoded) else {
            throw TestFailure("no screenshot")
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
    }

    private func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let answer = try await Self.call(http, method, base + path, body)
        if let error = answer["value"] as? [String: Any], let message = error["error"] as? String {
            throw TestFailure("WebDriver \(path): \(message): \(error["message"] ?? "")")
        }
        return answer["value"]
    }

    private static func call(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let data = Data(buffer.readableBytesView)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    private static func executable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/lib/chromium"] {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The web UI's Mustache templates and static files, loaded once from the resource bundle, and the
/// responses made from them.
struct WebRenderer: Sendable {
    /// A static file served under `/static/`.
    struct Asset: Sendable {
        var contentType: String
        var bytes: ByteBuffer
    }

    let library: MustacheLibrary
    let assets: [String: Asset]
    /// Changes whenever a static file does; asset URLs carry it so browsers may cache them for long.
    let assetVersion: String

    /// Loads `Resources/Templates/*.mustache` and `Resources/Static/*`; fails on a template that does not parse.
    static func load() throws -> WebRenderer {
        let resources = try resourceDirectory()
        var library = MustacheLibrary()
        let templates = resources.appendingPathComponent("Templates")
        for name in try FileManager.default.contentsOfDirectory(atPath: templates.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            let template = String(name.dropLast(".mustache".count))
            do {
                try library.register(text, named: template)
                // The same template as a part of a page, for live updates: inside the frame's `page`.
                try library.register("{{#page}}{{> \(template)}}{{/page}}", named: Self.fragmentPrefix + template)
            } catch {
                throw ConfigurationError("web template \(name) does not parse: \(error)")
            }
        }
        var assets: [String: Asset] = [:]
        var digest = SHA256()
        let statics = resources.appendingPathComponent("Static")
        for name in try FileManager.default.contentsOfDirectory(atPath: statics.path).sorted() {
            let data = try Data(contentsOf: statics.appendingPathComponent(name))
            digest.update(data: data)
            assets[name] = Asset(contentType: contentType(of: name), bytes: ByteBuffer(bytes: data))
        }
        let version = digest.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
        return WebRenderer(library: library, assets: assets, assetVersion: version)
    }

    private static func resourceDirectory() throws -> URL {
        let candidates = [Bundle.module.resourceURL?.appendingPathComponent("Resources"), Bundle.module.resourceURL]
        for case let candidate? in candidates
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("Templates").path) {
            return candidate
        }
        throw ConfigurationError("the web templates are missing from the resource bundle \(Bundle.module.bundlePath)")
    }

    private static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    // MARK: Rendering

    /// The layout around a signed-in user's page in `section`, its assets named with this renderer's version.
    func frame(_ title: String, _ user: WebUser, _ section: PageFrame.Section, _ page: Any) -> PageFrame {
        PageFrame(title: title, user: user, section: section, assetVersion: assetVersion, page: page)
    }

    /// A whole page: `template` (which extends `layout`) rendered with its frame.
    func page(_ template: String, _ frame: PageFrame, status: HTTPResponse.Status = .ok) throws -> Response {
        Self.html(try render(template, frame), status: status)
    }

    /// A part of a page, for a live update: the partial `template` rendered inside the frame's `page`, as it
    /// is on the page itself.
    func fragment(_ template: String, _ frame: PageFrame) throws -> String {
        try render(Self.fragmentPrefix + template, frame)
    }

    private static let fragmentPrefix = "fragment:"

    private func render(_ template: String, _ object: Any) throws -> String {
        guard let html = library.render(object, withTemplate: template) else {
            throw AppError(.internalServerError, "web template \(template) is missing")
        }
        return html
    }

    /// Headers every page gets: no caching of personal pages, and a policy that runs only this site's script.
    static let pageHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        .contentSecurityPolicy:
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: pageHeaders, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A static file; long-lived in caches when asked for under the current version.
    func asset(named name: String, version: String?) throws -> Response {
        guard let asset = assets[name] else { throw AppError.notFound("no static file \(name)") }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType,
                .cacheControl: version == assetVersion ? "public, max-age=31536000, immutable" : "no-cache",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: asset.bytes)
        )
    }
}

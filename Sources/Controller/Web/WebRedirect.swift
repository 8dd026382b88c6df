import Foundation
import Hummingbird
import WireProtocol

/// A page that cannot be shown as asked and sends the browser elsewhere (303 See Other).
struct WebRedirect: Error, Sendable {
    var location: String

    var response: Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// To the login page, coming back to `request`'s page afterwards.
    static func login(returningTo request: Request) -> WebRedirect {
        let back = request.method == .get ? request.uri.description : "/"
        return WebRedirect(location: "/login?next=" + Self.queryEscape(back))
    }

    /// `next` when it is a path on this site, else the dashboard: a login link must not send users away.
    static func safeTarget(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
            !next.contains(where: { $0.isNewline })
        else { return "/" }
        return next
    }

    /// Percent-escapes a query value.
    static func queryEscape(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#/")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

import Hummingbird
import Logging

/// Web pages answer failures with a page rather than JSON, and send visitors without a session to the login
/// page. What a failure means (status and message) is decided by ``ErrorMiddleware/translate(_:request:context:)``.
///
/// The pages have it, so that their failures are shown with who is signed in; the router has it too, ahead of the
/// credentials check, so that a page a browser asks for is answered with a page even when that check fails (the
/// database away) or nothing is there (a mistyped address). Failures of the API, the static files and the
/// operations endpoints go on to ``ErrorMiddleware``.
struct WebErrorMiddleware: FailureAnsweringMiddleware {
    let renderer: WebRenderer

    /// Whether `path` is a page's: not the API's, a static file's or an operations endpoint's.
    static func isPage(_ path: String) -> Bool {
        !(path.hasPrefix("/api/") || path.hasPrefix("/static/") || ["/healthz", "/readyz", "/metrics"].contains(path))
    }

    /// What the error page shows.
    struct ErrorView {
        var status: Int
        var reason: String
        var message: String
        var signedIn: Bool
    }

    /// A redirect as itself (to the login page, say); anything else as the error page.
    func answer(_ error: any Error, to request: Request, context: AppRequestContext) throws -> Response {
        guard Self.isPage(request.uri.path) else { throw error }
        if let redirect = error as? WebRedirect { return redirect.response }
        let failure = ErrorMiddleware.translate(error, request: request, context: context)
        let view = ErrorView(
            status: Int(failure.status.code),
            reason: failure.status.reasonPhrase,
            message: failure.message,
            signedIn: context.sessionUser != nil
        )
        let frame = PageFrame(
            title: failure.status.reasonPhrase,
            user: context.sessionUser,
            section: nil,
            assetVersion: renderer.assetVersion,
            page: view
        )
        var response = try renderer.page("error", frame, status: failure.status)
        for field in failure.headers where field.name != .contentType { response.headers.append(field) }
        return response
    }
}

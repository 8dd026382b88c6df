import Hummingbird
import Logging

/// Web pages answer failures with a page rather than JSON, and send visitors without a session to the login
/// page. What a failure means (status and message) is decided by ``ErrorMiddleware/translate(_:request:context:)``.
struct WebErrorMiddleware: FailureAnsweringMiddleware {
    let renderer: WebRenderer

    /// What the error page shows.
    struct ErrorView {
        var status: Int
        var reason: String
        var message: String
        var signedIn: Bool
    }

    /// A redirect as itself (to the login page, say); anything else as the error page.
    func answer(_ error: any Error, to request: Request, context: AppRequestContext) throws -> Response {
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

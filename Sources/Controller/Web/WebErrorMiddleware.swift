import Hummingbird
import Logging

/// Web pages answer failures with a page rather than JSON, and send visitors without a session to the login
/// page. What a failure means (status and message) is decided by ``ErrorMiddleware/translate(_:request:context:)``.
struct WebErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let renderer: WebRenderer

    /// What the error page shows.
    struct ErrorView {
        var status: Int
        var reason: String
        var message: String
        var signedIn: Bool
    }

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let redirect as WebRedirect {
            return redirect.response
        } catch {
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
}

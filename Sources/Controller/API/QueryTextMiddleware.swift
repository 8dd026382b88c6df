import Hummingbird

/// Refuses query parameters that hold characters text fields may not (422 naming the parameter), before any
/// route reads them.
struct QueryTextMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        if request.uri.query != nil {
            try TextInputCheck.check(fields: request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) })
        }
        return try await next(request, context)
    }
}

import Hummingbird

/// A middleware that answers what the routes after it throw: the API with its JSON error, the web pages with
/// an error page. Catching is the same for both; only the answer differs.
protocol FailureAnsweringMiddleware: RouterMiddleware where Context == AppRequestContext {
    /// The answer to `error`, which a route after this middleware threw; what this throws goes on outwards.
    func answer(_ error: any Error, to request: Request, context: AppRequestContext) throws -> Response
}

extension FailureAnsweringMiddleware {
    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try answer(error, to: request, context: context)
        }
    }
}

import Hummingbird

/// Records every answer in the request metrics, labelled by route pattern rather than raw path.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let metrics: ControllerMetrics

    func handle(
        _ request: Request,
        context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            let route = context.endpointPath ?? "unmatched"
            metrics.requests(route: route, method: method, status: response.status.code).increment()
            metrics.requestDuration(route: route, method: method).record(ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            let route = context.endpointPath ?? "unmatched"
            metrics.requests(route: route, method: method, status: status).increment()
            metrics.requestDuration(route: route, method: method).record(ContinuousClock.now - start)
            throw error
        }
    }
}

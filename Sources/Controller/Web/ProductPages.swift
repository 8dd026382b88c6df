import Foundation
import Hummingbird
import WireProtocol

/// Products: the pages every catalog item has, and a product's own page with the tools linked to it and the
/// pass rate across the product's versions.
struct ProductPages {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        let catalog = services.catalog
        CatalogItemPages<ProductDetails>(services: services, renderer: renderer) { id, user, request, refusal in
            let metric = try request?.query("chart", as: PassRateChart.Metric.self) ?? .cases
            return try await productPage(id, user: user, error: refusal?.message, status: refusal?.status ?? .ok, metric: metric)
        }
        .addRoutes(to: web)
        web.post("products/:id/tools") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            let toolIDs = try form.values("tool_id").map { text in
                guard let value = Int64(text) else { throw AppError.unprocessable("tool_id: expected a number, got \(text)") }
                return value
            }
            _ = try await catalog.setLinks(productID: id, toolIDs: toolIDs, by: user.caller)
            return WebRedirect(location: "/products/\(id)").response
        }
    }

    /// The product with its links, and the test result of every version of its name for the chart.
    private func productPage(
        _ id: Int64,
        user: WebUser,
        error: String?,
        status: HTTPResponse.Status,
        metric: PassRateChart.Metric
    ) async throws -> Response {
        let catalog = services.catalog
        let all = Pagination(limit: Pagination.maximumLimit)
        let product = try await catalog.item(Product.self, id: id)
        let linked = try await catalog.linkedTools(productID: id)
        let allTools = user.isAdmin ? try await catalog.list(Tool.self, all, name: nil).items : []
        var results: [(Product, TestResult)] = []
        for version in try await catalog.list(Product.self, all, name: product.name).items {
            results.append((version, try await catalog.testResult(productID: version.id, historyLimit: version.id == id ? 100 : 1)))
        }
        let view = ProductPageView(
            product: product,
            linked: linked,
            allTools: allTools,
            results: results,
            isAdmin: user.isAdmin,
            error: error,
            metric: metric
        )
        return try renderer.page("product", renderer.frame("\(product.name) \(product.version)", user, .products, view), status: status)
    }
}

import Foundation
import Hummingbird
import WireProtocol

/// Products: list, create, edit, delete, artifact upload, the tools linked to each, and the pass rate across
/// a product's versions.
struct ProductPages {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        let catalog = services.catalog
        CatalogItemForms(services: services, kind: .product).addRoutes(to: web)
        web.get("products") { request, context -> Response in
            let user = try context.webUser(request)
            return try await listPage(request, user: user, error: nil, form: [:])
        }
        web.post("products") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            do {
                let product = try await catalog.createProduct(ProductInput(form: form), by: user.caller)
                return WebRedirect(location: "/products/\(product.id)").response
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .conflict]) else { throw error }
                return try await listPage(request, user: user, error: error.message, form: form.firstValues, status: error.status)
            }
        }
        web.get("products/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let metric = try request.query("chart", as: PassRateChart.Metric.self) ?? .cases
            return try await productPage(try request.id(context), user: user, error: nil, metric: metric)
        }
        web.post("products/:id") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            do {
                _ = try await catalog.updateProduct(id: id, ProductInput(form: form), by: user.caller)
                return WebRedirect(location: "/products/\(id)").response
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .conflict]) else { throw error }
                return try await productPage(id, user: user, error: error.message, status: error.status)
            }
        }
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

    private func frame(_ title: String, _ user: WebUser, _ page: Any) -> PageFrame {
        PageFrame(title: title, user: user, section: .products, assetVersion: renderer.assetVersion, page: page)
    }

    private func listPage(
        _ request: Request,
        user: WebUser,
        error: String?,
        form: [String: String],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let pagination = try Pagination(request)
        let products = try await services.catalog.listProducts(pagination, name: request.query("name"))
        let view = CatalogListView(
            items: products.items.map(CatalogItemView.init),
            base: "/products",
            pagination: pagination,
            nextCursor: products.nextCursor,
            isAdmin: user.isAdmin,
            error: error,
            form: form
        )
        return try renderer.page("products", frame("Products", user, view), status: status)
    }

    /// The product with its links, and the test result of every version of its name for the chart.
    private func productPage(
        _ id: Int64,
        user: WebUser,
        error: String?,
        status: HTTPResponse.Status = .ok,
        metric: PassRateChart.Metric = .cases
    ) async throws -> Response {
        let catalog = services.catalog
        let product = try await catalog.product(id: id)
        let linked = try await catalog.linkedTools(productID: id)
        let allTools = user.isAdmin ? try await catalog.listTools(Pagination(limit: Pagination.maximumLimit), name: nil).items : []
        var results: [(Product, TestResult)] = []
        for version in try await catalog.listProducts(Pagination(limit: Pagination.maximumLimit), name: product.name).items {
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
        return try renderer.page("product", frame("\(product.name) \(product.version)", user, view), status: status)
    }
}

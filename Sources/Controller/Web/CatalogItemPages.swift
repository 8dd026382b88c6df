import Foundation
import Hummingbird
import WireProtocol

/// The pages every kind of catalog item has: its list with the create form, creating, editing, deleting, and
/// uploading an artifact. An item's own page is the kind's: `itemPage` renders it.
struct CatalogItemPages<Details: CatalogPageDetails> {
    /// Renders an item's page: for its own `GET` `request`, or again with the `refusal` of a failed edit.
    typealias ItemPage = @Sendable (_ id: Int64, _ user: WebUser, _ request: Request?, _ refusal: AppError?) async throws -> Response

    let services: ControllerServices
    let renderer: WebRenderer
    let itemPage: ItemPage

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        let catalog = services.catalog
        let kind = Details.kind
        web.get(RouterPath(kind.plural)) { request, context -> Response in
            let user = try context.webUser(request)
            return try await listPage(request, user: user, error: nil, form: [:])
        }
        web.post(RouterPath(kind.plural)) { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            do {
                let item = try await catalog.create(try CatalogItemInput<Details>(form: form), by: user.caller)
                return WebRedirect(location: "/\(kind.plural)/\(item.id)").response
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .conflict]) else { throw error }
                return try await listPage(request, user: user, error: error.message, form: form.firstValues, status: error.status)
            }
        }
        web.get(RouterPath("\(kind.plural)/:id")) { request, context -> Response in
            let user = try context.webUser(request)
            return try await itemPage(try request.id(context), user, request, nil)
        }
        web.post(RouterPath("\(kind.plural)/:id")) { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            do {
                _ = try await catalog.update(id: id, try CatalogItemInput<Details>(form: form), by: user.caller)
                return WebRedirect(location: "/\(kind.plural)/\(id)").response
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .conflict]) else { throw error }
                return try await itemPage(id, user, nil, error)
            }
        }
        web.button(RouterPath("\(kind.plural)/:id/delete"), admin: true) { user, id, _ in
            try await services.deleteCatalogItem(kind: kind, id: id, by: user.caller)
            return "/\(kind.plural)"
        }
        web.post(RouterPath("\(kind.plural)/:id/artifact")) { request, context -> Response in
            let user = try context.webUser(request)
            // The upload streams to disk, so the token comes in the form's URL rather than its body.
            try user.checkCSRF(request.query(WebUser.csrfField))
            try user.requireAdmin()
            let id = try request.id(context)
            _ = try await services.storeArtifact(kind: kind, id: id, request: request, by: user.caller)
            return WebRedirect(location: "/\(kind.plural)/\(id)").response
        }
    }

    /// The list with the create form, holding the values and the error of a failed attempt.
    private func listPage(
        _ request: Request,
        user: WebUser,
        error: String?,
        form: [String: String],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let pagination = try Pagination(request)
        let items = try await services.catalog.list(CatalogItem<Details>.self, pagination, name: request.query("name"))
        let view = CatalogListView(
            items: items.items.map(Details.listed),
            base: "/\(Details.kind.plural)",
            pagination: pagination,
            nextCursor: items.nextCursor,
            isAdmin: user.isAdmin,
            error: error,
            form: form
        )
        return try renderer.page(Details.kind.plural, renderer.frame(Details.section.label, user, Details.section, view), status: status)
    }
}

import Foundation
import Hummingbird
import WireProtocol

/// Test tools: list, create, edit, delete and artifact upload. Tools are linked to products on the product
/// page.
struct ToolPages {
    let services: ControllerServices
    let renderer: WebRenderer

    /// A tool's page.
    struct PageView {
        var tool: ToolView
        var isAdmin: Bool
        var error: String?
    }

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        let catalog = services.catalog
        CatalogItemForms(services: services, kind: .tool).addRoutes(to: web)
        web.get("tools") { request, context -> Response in
            let user = try context.webUser(request)
            return try await listPage(request, user: user, error: nil, form: [:])
        }
        web.post("tools") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            do {
                let tool = try await catalog.createTool(try ToolInput(form: form), by: user.caller)
                return WebRedirect(location: "/tools/\(tool.id)").response
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .conflict]) else { throw error }
                return try await listPage(request, user: user, error: error.message, form: form.firstValues, status: error.status)
            }
        }
        web.get("tools/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let tool = try await catalog.tool(id: try request.id(context))
            return try page(tool, user: user, error: nil)
        }
        web.post("tools/:id") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            do {
                _ = try await catalog.updateTool(id: id, try ToolInput(form: form), by: user.caller)
                return WebRedirect(location: "/tools/\(id)").response
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .conflict]) else { throw error }
                return try page(try await catalog.tool(id: id), user: user, error: error.message, status: error.status)
            }
        }
    }

    private func frame(_ title: String, _ user: WebUser, _ page: Any) -> PageFrame {
        PageFrame(title: title, user: user, section: .tools, assetVersion: renderer.assetVersion, page: page)
    }

    private func page(_ tool: Tool, user: WebUser, error: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        let view = PageView(tool: ToolView(tool), isAdmin: user.isAdmin, error: error)
        return try renderer.page("tool", frame("\(tool.name) \(tool.version)", user, view), status: status)
    }

    private func listPage(
        _ request: Request,
        user: WebUser,
        error: String?,
        form: [String: String],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let pagination = try Pagination(request)
        let tools = try await services.catalog.listTools(pagination, name: request.query("name"))
        let view = CatalogListView(
            items: tools.items.map(ToolView.init),
            base: "/tools",
            pagination: pagination,
            nextCursor: tools.nextCursor,
            isAdmin: user.isAdmin,
            error: error,
            form: form
        )
        return try renderer.page("tools", frame("Tools", user, view), status: status)
    }
}

import Foundation
import Hummingbird
import WireProtocol

/// Test tools: the pages every catalog item has, and a tool's own page. Tools are linked to products on the
/// product page.
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
        CatalogItemPages<ToolDetails>(services: services, renderer: renderer) { id, user, _, refusal in
            let tool = try await catalog.item(Tool.self, id: id)
            let view = PageView(tool: ToolView(tool), isAdmin: user.isAdmin, error: refusal?.message)
            return try renderer.page("tool", renderer.frame("\(tool.name) \(tool.version)", user, .tools, view), status: refusal?.status ?? .ok)
        }
        .addRoutes(to: web)
    }
}

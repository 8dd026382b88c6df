import Foundation
import Hummingbird
import WireProtocol

/// The fleet: every node with its state and running cases, a node's facts and inventory, and the buttons
/// that drain, disable, enable and revoke nodes.
struct NodePages {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("nodes") { request, context -> Response in
            let user = try context.webUser(request)
            let view = try await listView(request, user: user)
            var page = renderer.frame("Nodes", user, .nodes, view)
            page.events = "/events/nodes" + (request.uri.query.map { "?" + $0 } ?? "")
            return try renderer.page("nodes", page)
        }
        web.get("nodes/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let view = try await nodeView(try request.id(context), user: user)
            var page = renderer.frame(view.node.info.name, user, .nodes, view)
            page.events = "/events/nodes/\(view.node.info.id)"
            return try renderer.page("node", page)
        }
        web.get("events/nodes/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let id = try request.id(context)
            _ = try await nodeView(id, user: user)
            return EventStream.response(context: context, initial: LiveRegions()) { regions in
                let view = try await nodeView(id, user: user)
                let page = renderer.frame(view.node.info.name, user, .nodes, view)
                return .init(events: try regions.event(["node-environment": try renderer.fragment("node-environment", page)]))
            }
        }
        web.post("nodes/:id/environment") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            guard let text = form.text("product_id"), let productID = Int64(text) else {
                throw AppError.unprocessable("product_id: choose a product")
            }
            switch form.text("action") ?? "apply" {
            case "uninstall":
                _ = try await services.installJobs.create(
                    nodeID: id,
                    change: EnvironmentChange(productId: productID, toolIds: [], action: .uninstall),
                    by: user.caller
                )
                services.activity.installQueued(id)
            case "apply":
                let wanted = Set(form.values("tool").compactMap { Int64($0) })
                _ = try await services.applyEnvironment(nodeID: id, productID: productID, wanted: wanted, by: user.caller)
            default:
                throw AppError.unprocessable("action: expected apply or uninstall")
            }
            return WebRedirect(location: "/nodes/\(id)").response
        }
        web.get("install-jobs/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let job = try await services.installJobs.get(id: try request.id(context))
            return try renderer.page("install-job", renderer.frame("Install job #\(job.id)", user, .nodes, InstallJobView(job)))
        }
        web.post("nodes/:id/state") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            guard let text = form.text("state"), let state = NodeState(rawValue: text) else {
                throw AppError.unprocessable("state: expected online, draining or disabled")
            }
            _ = try await services.patchNode(id: id, NodePatch(state: state), by: user.caller)
            context.logger.info(
                "node state set",
                metadata: ["testfleet.node.id": .stringConvertible(id), "testfleet.node.state": .string(state.rawValue)]
            )
            return WebRedirect(location: WebRedirect.safeTarget(form["back"] ?? "/nodes/\(id)")).response
        }
        web.get("nodes/:id/revoke") { request, context -> Response in
            let user = try context.webUser(request)
            try user.requireAdmin()
            let node = NodeRow(try await services.nodes.get(id: try request.id(context)), canAdminister: true)
            return try renderer.page("node-revoke", renderer.frame("Revoke \(node.info.name)", user, .nodes, node))
        }
        web.button("nodes/:id/revoke", admin: true) { user, id, context in
            try await services.nodes.revoke(id: id, by: user.caller)
            context.logger.notice("node credential revoked", metadata: ["testfleet.node.id": .stringConvertible(id)])
            return "/nodes/\(id)"
        }
        web.get("events/nodes") { request, context -> Response in
            let user = try context.webUser(request)
            _ = try await listView(request, user: user)
            return EventStream.response(context: context, initial: LiveRegions()) { regions in
                let page = renderer.frame("Nodes", user, .nodes, try await listView(request, user: user))
                return .init(events: try regions.event(["nodes-live": try renderer.fragment("nodes-live", page)]))
            }
        }
    }

    /// The node's page, with the environment controls for admins.
    private func nodeView(_ id: Int64, user: WebUser) async throws -> NodePageView {
        let node = try await services.nodes.get(id: id)
        var view = NodePageView(node, canAdminister: user.isAdmin)
        if user.isAdmin {
            let installed = node.inventory ?? []
            var linked: [Int64: [Tool]] = [:]
            for productID in installed.compactMap(\.productId) {
                linked[productID] = try await services.catalog.linkedTools(productID: productID)
            }
            let catalog = try await services.catalog.list(Product.self, Pagination(limit: Pagination.maximumLimit), name: nil).items
            view.environment = EnvironmentView(
                nodeID: id,
                installed: installed,
                linked: linked,
                catalog: catalog,
                jobs: try await services.installJobs.list(nodeID: id, limit: 20)
            )
        }
        return view
    }

    private func listView(_ request: Request, user: WebUser) async throws -> NodeListView {
        let state = try request.query("state", as: NodeState.self)
        let pagination = try Pagination(request)
        let nodes = try await services.nodes.list(pagination, state: state)
        let counts = try await services.nodes.countsByState()
        return NodeListView(nodes: nodes, counts: counts, state: state, pagination: pagination, isAdmin: user.isAdmin)
    }
}

import Foundation
import Hummingbird
import WireProtocol

/// The fleet: every node with its state and running cases, a node's facts and inventory, and the buttons
/// that drain, disable and enable nodes.
struct NodePages {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("nodes") { request, context -> Response in
            let user = try context.webUser(request)
            let view = try await listView(request, user: user)
            var page = frame("Nodes", user, view)
            page.events = "/events/nodes" + (request.uri.query.map { "?" + $0 } ?? "")
            return try renderer.page("nodes", page)
        }
        web.get("nodes/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let node = try await services.nodes.get(id: try request.id(context))
            let view = NodePageView(node, canAdminister: user.isAdmin)
            return try renderer.page("node", frame(node.name, user, view))
        }
        web.post("nodes/:id/state") { request, context -> Response in
            let (_, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            guard let text = form.text("state"), let state = NodeState(rawValue: text) else {
                throw AppError.unprocessable("state: expected online, draining or disabled")
            }
            _ = try await services.patchNode(id: id, NodePatch(state: state))
            context.logger.info(
                "node state set",
                metadata: ["testfleet.node.id": .stringConvertible(id), "testfleet.node.state": .string(state.rawValue)]
            )
            return WebRedirect(location: WebRedirect.safeTarget(form["back"] ?? "/nodes/\(id)")).response
        }
        web.get("events/nodes") { request, context -> Response in
            let user = try context.webUser(request)
            _ = try await listView(request, user: user)
            return EventStream.response(context: context, initial: LiveRegions()) { regions in
                let page = frame("Nodes", user, try await listView(request, user: user))
                return .init(events: try regions.event(["nodes-live": try renderer.fragment("nodes-live", page)]))
            }
        }
    }

    private func frame(_ title: String, _ user: WebUser, _ page: Any) -> PageFrame {
        PageFrame(title: title, user: user, section: .nodes, assetVersion: renderer.assetVersion, page: page)
    }

    private func listView(_ request: Request, user: WebUser) async throws -> NodeListView {
        let state = try request.query("state", as: NodeState.self)
        let pagination = try Pagination(request)
        let nodes = try await services.nodes.list(pagination, state: state)
        let counts = try await services.nodes.countsByState()
        return NodeListView(nodes: nodes, counts: counts, state: state, pagination: pagination, isAdmin: user.isAdmin)
    }
}

import Foundation
import Hummingbird
import WireProtocol

/// The fleet: list, inspect, drain/disable/enable, revoke.
struct NodeRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("nodes") { request, context -> Page<NodeInfo> in
            _ = try context.requireUser()
            return try await services.nodes.list(Pagination(request), state: try request.query("state", as: NodeState.self))
        }
        api.get("nodes/:id") { request, context -> NodeInfo in
            _ = try context.requireUser()
            return try await services.nodes.get(id: try request.id(context))
        }
        api.patch("nodes/:id") { request, context -> NodeInfo in
            _ = try context.requireAdmin()
            let id = try request.id(context)
            let patch = try await request.decode(as: NodePatch.self, context: context)
            return try await services.patchNode(id: id, patch)
        }
        api.delete("nodes/:id") { request, context -> Response in
            _ = try context.requireAdmin()
            try await services.nodes.revoke(id: try request.id(context))
            return Response(status: .noContent)
        }
    }
}

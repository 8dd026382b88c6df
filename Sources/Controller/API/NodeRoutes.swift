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
            let caller = try context.adminCaller()
            let id = try request.id(context)
            let patch = try await request.decode(as: NodePatch.self, context: context)
            return try await services.patchNode(id: id, patch, by: caller)
        }
        api.post("nodes/:id/environment") { request, context -> EditedResponse<InstallJob> in
            let caller = try context.adminCaller()
            let id = try request.id(context)
            let change = try await request.decode(as: EnvironmentChange.self, context: context)
            let job = try await services.installJobs.create(nodeID: id, change: change, by: caller)
            services.activity.installQueued(id)
            return EditedResponse(status: .accepted, response: job)
        }
        api.get("nodes/:id/environment") { request, context -> NodeEnvironment in
            _ = try context.requireUser()
            let id = try request.id(context)
            _ = try await services.nodes.get(id: id)
            return NodeEnvironment(
                products: try await services.nodes.inventory(nodeID: id),
                jobs: try await services.installJobs.list(nodeID: id)
            )
        }
        api.get("install-jobs/:id") { request, context -> InstallJob in
            _ = try context.requireUser()
            return try await services.installJobs.get(id: try request.id(context))
        }
        api.delete("nodes/:id") { request, context -> Response in
            let caller = try context.adminCaller()
            try await services.nodes.revoke(id: try request.id(context), by: caller)
            return Response(status: .noContent)
        }
    }
}

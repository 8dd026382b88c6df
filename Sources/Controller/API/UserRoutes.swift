import Foundation
import Hummingbird
import WireProtocol

/// Users (admin): list, create, disable or enable, change role or password, delete.
struct UserRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        let users = services.users
        api.get("users") { request, context -> Page<User> in
            _ = try context.requireAdmin()
            return try await users.list(Pagination(request))
        }
        api.post("users") { request, context -> EditedResponse<User> in
            let caller = try context.adminCaller()
            let input = try await request.decode(as: UserInput.self, context: context)
            let user = try await users.create(username: input.username, password: input.password, role: input.role ?? .member, by: caller)
            return EditedResponse(status: .created, response: user)
        }
        api.patch("users/:id") { request, context -> User in
            let caller = try context.adminCaller()
            let id = try request.id(context)
            let patch = try await request.decode(as: UserPatch.self, context: context)
            return try await users.patch(id: id, patch, by: caller)
        }
        api.delete("users/:id") { request, context -> Response in
            let caller = try context.adminCaller()
            try await users.delete(id: try request.id(context), by: caller)
            return Response(status: .noContent)
        }
    }
}

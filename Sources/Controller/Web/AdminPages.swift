import Foundation
import Hummingbird
import WireProtocol

/// Administration: users, the signed-in user's API tokens (everyone), and enrollment tokens with the ready
/// `testfleet-agent enroll` command (admins). New secrets are shown once, on the page that created them.
struct AdminPages {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("admin") { request, context -> Response in
            let user = try context.webUser(request)
            return try await page(user, AdminView.Created())
        }
        web.post("admin/users") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let role = UserRole(rawValue: form.text("role") ?? "member") ?? .member
            do {
                let created = try await services.users.create(username: form.text("username") ?? "", password: form["password"] ?? "", role: role)
                return try await page(user, AdminView.Created(notice: "Created \(created.role.rawValue) \(created.username)."))
            } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
                return try await page(user, AdminView.Created(error: error.message, username: form.text("username") ?? ""), status: error.status)
            }
        }
        web.post("admin/tokens") { request, context -> Response in
            let (user, form) = try await context.webForm(request)
            let token = try await services.users.createToken(userID: user.id, name: form.text("name") ?? "")
            return try await page(user, AdminView.Created(apiToken: token), status: .created)
        }
        web.post("admin/tokens/:id/revoke") { request, context -> Response in
            let (user, _) = try await context.webForm(request)
            try await services.users.deleteToken(id: try request.id(context), userID: user.id, isAdmin: user.isAdmin)
            return WebRedirect(location: "/admin#tokens").response
        }
        web.post("admin/enrollment-tokens") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let input = EnrollmentTokenInput(
                ttlS: try form.integer("ttl_hours", label: "valid for (hours)").map { $0 * 3600 },
                maxUses: try form.integer("max_uses", label: "uses"),
                note: form.text("note")
            )
            let (token, secret) = try await services.nodes.createEnrollmentToken(input, createdBy: user.id)
            let command = EnrollmentRoutes(services: services).enrollCommand(token: secret)
            return try await page(user, AdminView.Created(enrollment: .init(id: token.id, command: command)), status: .created)
        }
        web.post("admin/enrollment-tokens/:id/revoke") { request, context -> Response in
            _ = try await context.webForm(request, admin: true)
            try await services.nodes.revokeEnrollmentToken(id: try request.id(context))
            return WebRedirect(location: "/admin#enrollment").response
        }
    }

    private func page(_ user: WebUser, _ created: AdminView.Created, status: HTTPResponse.Status = .ok) async throws -> Response {
        let everyone = Pagination(limit: Pagination.maximumLimit)
        let users = user.isAdmin ? try await services.users.list(everyone).items : []
        let enrollment = user.isAdmin ? try await services.nodes.listEnrollmentTokens(everyone).items : []
        let tokens = try await services.users.listTokens(userID: user.id)
        let view = AdminView(user: user, users: users, tokens: tokens, enrollment: enrollment, created: created)
        let frame = PageFrame(
            title: "Admin",
            user: user,
            section: .admin,
            assetVersion: renderer.assetVersion,
            notice: created.notice,
            page: view
        )
        return try renderer.page("admin", frame, status: status)
    }
}

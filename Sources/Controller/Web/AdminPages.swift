import Foundation
import Hummingbird
import WireProtocol

/// Administration: the signed-in user's password and API tokens (everyone), users, enrollment tokens with the
/// ready `testfleet-agent enroll` command and the latest audit entries (admins). New secrets are shown once, on
/// the page that created them. Changes to users are ``UserAdminPages``.
struct AdminPages {
    let services: ControllerServices
    let renderer: WebRenderer

    /// How many audit entries the admin page shows; the audit page has them all.
    static let latestAuditEntries = 10

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("admin") { request, context -> Response in
            let user = try context.webUser(request)
            return try await page(user, AdminView.Created())
        }
        web.post("admin/tokens") { request, context -> Response in
            let (user, form) = try await context.webForm(request)
            let token = try await services.users.createToken(userID: user.id, name: form.text("name") ?? "", by: user.caller)
            return try await page(user, AdminView.Created(apiToken: token), status: .created)
        }
        web.button("admin/tokens/:id/revoke") { user, id, _ in
            try await services.users.deleteToken(id: id, by: user.caller)
            return "/admin#tokens"
        }
        web.post("admin/enrollment-tokens") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let input = EnrollmentTokenInput(
                ttlS: try form.integer("ttl_hours", label: "valid for (hours)").map { $0 * 3600 },
                maxUses: try form.integer("max_uses", label: "uses"),
                note: form.text("note")
            )
            let (token, secret) = try await services.nodes.createEnrollmentToken(input, by: user.caller)
            let command = EnrollmentRoutes(services: services).enrollCommand(token: secret)
            return try await page(user, AdminView.Created(enrollment: .init(id: token.id, command: command)), status: .created)
        }
        web.button("admin/enrollment-tokens/:id/revoke", admin: true) { user, id, _ in
            try await services.nodes.revokeEnrollmentToken(id: id, by: user.caller)
            return "/admin#enrollment"
        }
    }

    /// The admin page as `user` sees it, with what the last action made or what went wrong.
    func page(_ user: WebUser, _ created: AdminView.Created, status: HTTPResponse.Status = .ok) async throws -> Response {
        let everyone = Pagination(limit: Pagination.maximumLimit)
        let users = user.isAdmin ? try await services.users.list(everyone).items : []
        let enrollment = user.isAdmin ? try await services.nodes.listEnrollmentTokens(everyone).items : []
        let audit =
            user.isAdmin
            ? try await services.audit.list(Pagination(limit: Self.latestAuditEntries), filter: AuditLog.Filter()).items : []
        let tokens = try await services.users.listTokens(userID: user.id)
        let view = AdminView(user: user, users: users, tokens: tokens, enrollment: enrollment, audit: audit, created: created)
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

    /// Runs a form's change and shows the admin page with `notice`; a refusal the user can act on (403, 409, 422)
    /// shows the page with its message instead of an error page.
    func change(_ user: WebUser, notice: String, _ body: () async throws -> Void) async throws -> Response {
        do {
            try await body()
            return try await page(user, AdminView.Created(notice: notice))
        } catch {
            guard let error = AppError.refusal(error, among: [.forbidden, .conflict, .unprocessableContent]) else { throw error }
            return try await page(user, AdminView.Created(error: error.message), status: error.status)
        }
    }
}

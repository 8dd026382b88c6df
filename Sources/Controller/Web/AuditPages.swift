import Foundation
import Hummingbird
import WireProtocol

/// The audit log for admins: who changed what, when and from where, filtered by actor and action.
struct AuditPages {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("admin/audit") { request, context -> Response in
            let user = try context.webUser(request)
            try user.requireAdmin()
            let pagination = try Pagination(request)
            let filter = AuditLog.Filter(actor: request.query("actor"), action: request.query("action"))
            let page = try await services.audit.list(pagination, filter: filter)
            let view = AuditView(page: page, filter: filter, pagination: pagination)
            let frame = renderer.frame("Audit log", user, .admin, view)
            return try renderer.page("audit", frame)
        }
    }
}

import Foundation
import Hummingbird
import WireProtocol

/// The audit log (admin): every change people and their tokens made, newest first.
struct AuditRoutes {
    let services: ControllerServices

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("audit") { request, context -> Page<AuditEntry> in
            _ = try context.requireAdmin()
            let filter = AuditLog.Filter(actor: request.query("actor"), action: request.query("action"))
            return try await services.audit.list(Pagination(request), filter: filter)
        }
    }
}

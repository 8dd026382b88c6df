import Foundation
import Hummingbird

/// The forms products and tools share: deleting one, and uploading its artifact.
struct CatalogItemForms {
    let services: ControllerServices
    let kind: CatalogRepository.Kind

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        let kind = kind
        web.post(RouterPath("\(kind.table)/:id/delete")) { request, context -> Response in
            let (user, _) = try await context.webForm(request, admin: true)
            try await services.deleteCatalogItem(kind: kind, id: try request.id(context), by: user.caller)
            return WebRedirect(location: "/\(kind.table)").response
        }
        web.post(RouterPath("\(kind.table)/:id/artifact")) { request, context -> Response in
            let user = try context.webUser(request)
            // The upload streams to disk, so the token comes in the form's URL rather than its body.
            try user.checkCSRF(request.query(WebUser.csrfField))
            try user.requireAdmin()
            let id = try request.id(context)
            _ = try await services.storeArtifact(kind: kind, id: id, request: request, by: user.caller)
            return WebRedirect(location: "/\(kind.table)/\(id)").response
        }
    }
}

import Foundation
import Hummingbird

/// The web UI: pages for people, rendered from Mustache templates, with live updates over server-sent events
/// and one small script. Pages need a session (the login page opens one) and every form carries its CSRF
/// token; everything else comes from the same repositories the API uses.
/// Their failures are answered as pages by ``WebErrorMiddleware``: here, with who is signed in, and ahead of the
/// credentials check for what fails before a page is reached.
struct WebRoutes {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("static/:name") { request, context in
            try renderer.asset(named: context.parameters.get("name") ?? "", version: request.query("v"))
        }
        let web = router.group().add(middleware: WebErrorMiddleware(renderer: renderer))
        LoginPages(services: services, renderer: renderer).addRoutes(to: web)
        DashboardPages(services: services, renderer: renderer).addRoutes(to: web)
        TaskPages(services: services, renderer: renderer).addRoutes(to: web)
        CasePages(services: services, renderer: renderer).addRoutes(to: web)
        NodePages(services: services, renderer: renderer).addRoutes(to: web)
        ProductPages(services: services, renderer: renderer).addRoutes(to: web)
        ToolPages(services: services, renderer: renderer).addRoutes(to: web)
        let admin = AdminPages(services: services, renderer: renderer)
        admin.addRoutes(to: web)
        UserAdminPages(services: services, admin: admin).addRoutes(to: web)
        AuditPages(services: services, renderer: renderer).addRoutes(to: web)
    }
}

import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The admin page administers users and shows the audit log; everyone changes their password there.
@Suite("Web admin", .serialized)
struct WebAdminTests {
    @Test("admins disable, enable, re-role, reset and delete users on the admin page; the last admin stays; CSRF and role checked")
    func users() async throws {
        try await withWebFixture { fixture in
            let web = fixture.web
            let controller = fixture.controller
            let ana = try await controller.makeUser("ana")
            let page = try await web.get("/admin")
            #expect(page.body.contains("action=\"/admin/users/\(ana.id)/disable\"") && page.body.contains("Make admin"))
            #expect(!page.body.contains("action=\"/admin/users/1/delete\""), "no delete button for oneself")

            let disabled = try await web.post("/admin/users/\(ana.id)/disable")
            #expect(disabled.status == 200 && disabled.body.contains("User disabled.") && disabled.body.contains("/admin/users/\(ana.id)/enable"))
            #expect(try await ana.client.request(.GET, "/api/v1/tasks").status == 401)
            #expect(try await web.post("/admin/users/\(ana.id)/enable").status == 200)
            #expect(try await ana.client.request(.GET, "/api/v1/tasks").status == 200)
            #expect(try await web.post("/admin/users/\(ana.id)/role", [("role", "admin")]).status == 200)
            #expect(try await controller.services.users.find(username: "ana")?.role == .admin)
            #expect(try await web.post("/admin/users/\(ana.id)/role", [("role", "owner")]).status == 422)
            let weak = try await web.post("/admin/users/\(ana.id)/password", [("password", "short")])
            #expect(weak.status == 422 && weak.body.contains("at least 8 characters"))
            #expect(try await web.post("/admin/users/\(ana.id)/password", [("password", "set-on-the-page")]).status == 200)
            let anaWeb = try WebClient(controller)
            try await anaWeb.logIn("ana", "set-on-the-page")

            // Ana, now an admin, demotes the first admin; the first admin cannot then take away the last one.
            _ = try await anaWeb.get("/admin")
            #expect(try await anaWeb.post("/admin/users/\(ana.id)/role", [("role", "member")]).status == 200)
            _ = try await web.get("/admin")
            let last = try await web.post("/admin/users/1/disable")
            #expect(last.status == 409 && last.body.contains("admin is the last enabled admin"))

            // Without the form's token, or as a member: refused.
            #expect(try await web.post("/admin/users/\(ana.id)/delete", csrf: false).status == 403)
            _ = try await anaWeb.get("/admin")
            #expect(try await anaWeb.post("/admin/users/1/disable").status == 403)
            #expect(try await anaWeb.get("/admin/audit").status == 403)
            #expect(!(try await anaWeb.get("/admin").body.contains("Audit log")))

            #expect(try await web.post("/admin/users/\(ana.id)/delete").status == 200)
            #expect(try await controller.services.users.find(username: "ana") == nil)
            #expect(try await anaWeb.get("/admin").status == 303, "a deleted user's session ends")

            // A disabled user who knows their password is told why they cannot sign in.
            let bo = try await controller.makeUser("bo")
            _ = try await web.get("/admin")
            #expect(try await web.post("/admin/users/\(bo.id)/disable").status == 200)
            let boWeb = try WebClient(controller)
            _ = try await boWeb.get("/login")
            let refused = try await boWeb.post("/login", [("username", "bo"), ("password", bo.password), ("next", "/")])
            #expect(refused.status == 401 && refused.body.contains("User bo is disabled; ask an admin."))
        }
    }

    @Test("everyone changes their own password on the admin page")
    func ownPassword() async throws {
        try await withWebFixture { fixture in
            let ana = try await fixture.controller.makeUser("ana")
            let web = try WebClient(fixture.controller)
            try await web.logIn("ana", ana.password)
            _ = try await web.get("/admin")
            let wrong = try await web.post(
                "/admin/password",
                [("current_password", "not-it"), ("new_password", "new-password-1"), ("new_password_again", "new-password-1")]
            )
            #expect(wrong.status == 403 && wrong.body.contains("not your current password"))
            let differ = try await web.post(
                "/admin/password",
                [("current_password", ana.password), ("new_password", "new-password-1"), ("new_password_again", "new-password-2")]
            )
            #expect(differ.status == 422 && differ.body.contains("differ"))
            let changed = try await web.post(
                "/admin/password",
                [("current_password", ana.password), ("new_password", "new-password-1"), ("new_password_again", "new-password-1")]
            )
            #expect(changed.status == 200 && changed.body.contains("Your password was changed."))
            let again = try WebClient(fixture.controller)
            try await again.logIn("ana", "new-password-1")
        }
    }
}

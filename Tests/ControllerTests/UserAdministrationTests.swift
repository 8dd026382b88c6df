import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// Admins disable, re-role, reset and delete users; everyone changes their own password; there is always an
/// enabled admin.
@Suite("User administration", .serialized)
struct UserAdministrationTests {
    @Test("disabling a user refuses their API tokens, web sessions and password at once; enabling brings tokens back")
    func disable() async throws {
        try await withController { controller in
            let ana = try await controller.makeUser("ana")
            let session = try await controller.logIn("ana", ana.password)
            let anonymous = try controller.client(bearer: nil)
            let me = { try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", session.cookie)]).status }
            #expect(try await ana.client.request(.GET, "/api/v1/tasks").status == 200)
            #expect(try await ana.client.request(.GET, "/api/v1/tasks").status == 200, "now from the token cache")
            #expect(try await me() == 200)

            let disabled = try await controller.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(disabled: true))
            #expect(disabled.status == 200)
            #expect(try disabled.decode(User.self).disabled)
            #expect(try await ana.client.request(.GET, "/api/v1/tasks").status == 401)
            #expect(try await me() == 401)
            let basic = try await anonymous.request(.GET, "/api/v1/tasks", headers: [("Authorization", ana.basic)])
            #expect(basic.status == 401 && basic.errorMessage == "user ana is disabled; ask an admin")
            let login = try await anonymous.request(.POST, "/api/v1/auth/login", json: LoginInput(username: "ana", password: ana.password))
            #expect(login.status == 401)
            let wrong = try await anonymous.request(.POST, "/api/v1/auth/login", json: LoginInput(username: "ana", password: "not-her-password"))
            #expect(wrong.errorMessage == "wrong username or password", "only who knows the password learns the account is disabled")
            let listed = try await controller.admin.request(.GET, "/api/v1/users").decode(Page<User>.self).items
            #expect(listed.first { $0.username == "ana" }?.disabled == true && listed.first { $0.username == "admin" }?.disabled == false)

            #expect(try await controller.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(disabled: false)).status == 200)
            #expect(try await ana.client.request(.GET, "/api/v1/tasks").status == 200)
            #expect(try await me() == 401, "sessions ended by disabling stay ended")
        }
    }

    @Test("a promoted member administers at once, a demoted admin no longer; a new password replaces the old")
    func roleAndPassword() async throws {
        try await withController { controller in
            let ana = try await controller.makeUser("ana")
            let product = ProductInput(name: "by-ana", version: "1")
            #expect(try await ana.client.request(.POST, "/api/v1/products", json: product).status == 403)
            let promoted = try await controller.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(role: .admin))
            #expect(try promoted.decode(User.self).role == .admin)
            #expect(try await ana.client.request(.POST, "/api/v1/products", json: product).status == 201, "the cached token has the new role")
            #expect(try await controller.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(role: .member)).status == 200)
            #expect(try await ana.client.request(.POST, "/api/v1/products", json: ProductInput(name: "by-ana", version: "2")).status == 403)

            let session = try await controller.logIn("ana", ana.password)
            let anonymous = try controller.client(bearer: nil)
            let reset = try await controller.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(password: "reset-by-admin"))
            #expect(reset.status == 200)
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Authorization", ana.basic)]).status == 401)
            let newBasic = "Basic " + Data("ana:reset-by-admin".utf8).base64EncodedString()
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Authorization", newBasic)]).status == 200)
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Cookie", session.cookie)]).status == 401)
            #expect(try await ana.client.request(.GET, "/api/v1/auth/me").status == 200, "API tokens survive a password reset")

            #expect(try await controller.admin.request(.PATCH, "/api/v1/users/\(ana.id)", raw: #"{"role": "owner"}"#).status == 422)
            #expect(try await controller.admin.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(password: "short")).status == 422)
            #expect(try await controller.admin.request(.PATCH, "/api/v1/users/9999", json: UserPatch(disabled: true)).status == 404)
            #expect(try await ana.client.request(.PATCH, "/api/v1/users/\(ana.id)", json: UserPatch(role: .admin)).status == 403)
        }
    }

    @Test("everyone changes their own password with the current one")
    func ownPassword() async throws {
        try await withController { controller in
            let ana = try await controller.makeUser("ana")
            let wrong = try await ana.client.request(
                .POST,
                "/api/v1/auth/password",
                json: PasswordChange(currentPassword: "not-it", newPassword: "a-new-password")
            )
            #expect(wrong.status == 403 && wrong.errorMessage?.contains("current_password") == true)
            let weak = try await ana.client.request(
                .POST,
                "/api/v1/auth/password",
                json: PasswordChange(currentPassword: ana.password, newPassword: "short")
            )
            #expect(weak.status == 422 && weak.errorMessage?.hasPrefix("new_password:") == true)
            // With a session, as the browser's script would: the CSRF header is needed.
            let session = try await controller.logIn("ana", ana.password)
            let anonymous = try controller.client(bearer: nil)
            let change = PasswordChange(currentPassword: ana.password, newPassword: "a-new-password")
            #expect(try await anonymous.request(.POST, "/api/v1/auth/password", json: change, headers: [("Cookie", session.cookie)]).status == 403)
            let changed = try await anonymous.request(
                .POST,
                "/api/v1/auth/password",
                json: change,
                headers: [("Cookie", session.cookie), ("X-CSRF-Token", session.csrf)]
            )
            #expect(changed.status == 204)
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Authorization", ana.basic)]).status == 401)
            let newBasic = "Basic " + Data("ana:a-new-password".utf8).base64EncodedString()
            #expect(try await anonymous.request(.GET, "/api/v1/auth/me", headers: [("Authorization", newBasic)]).status == 200)
        }
    }

    @Test("deleting a user ends their tokens and keeps their tasks under their name; a new user of that name does not own them")
    func delete() async throws {
        try await withController { controller in
            let fixture = try await Fixture.make(controller, script: "true")
            let node = try await SimulatedNode.enroll(controller, name: "runs-for-ana", products: [fixture.simulatedInventory])
            let ana = try await controller.makeUser("ana")
            let running = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["r1", "r2"])).decode(TaskInfo.self)
            let lease = try #require(try await node.lease())
            let task = try await ana.client.request(.POST, "/api/v1/tasks", json: fixture.submission(["a"])).decode(TaskInfo.self)
            #expect(try await controller.admin.request(.DELETE, "/api/v1/users/\(ana.id)").status == 204)
            // A task of a deleted user runs on: its cases end and the next is leased.
            #expect(try await node.finish(lease, .passed).status == 200)
            let next = try #require(try await node.lease())
            #expect(try await node.finish(next, .passed).status == 200)
            #expect(try await controller.task(running.id).counts.passed >= 1)
            #expect(try await controller.task(next.taskId).counts.passed >= 1)
            #expect(try await ana.client.request(.GET, "/api/v1/tasks").status == 401)
            #expect(try await controller.task(task.id).submittedBy == "ana")
            let listed = try await controller.admin.request(.GET, "/api/v1/tasks?user=ana").decode(Page<TaskInfo>.self)
            #expect(listed.items.map(\.id) == [task.id, running.id])
            let users = try await controller.admin.request(.GET, "/api/v1/users").decode(Page<User>.self)
            #expect(!users.items.contains { $0.username == "ana" })
            #expect(try await controller.admin.request(.DELETE, "/api/v1/users/\(ana.id)").status == 404)

            let another = try await controller.makeUser("ana")
            #expect(try await another.client.request(.POST, "/api/v1/tasks/\(task.id)/cancel").status == 403)
            #expect(try await controller.admin.request(.POST, "/api/v1/tasks/\(task.id)/cancel").status == 200)
            #expect(try await controller.admin.request(.DELETE, "/api/v1/products/\(fixture.product.id)").status == 409)
        }
    }

    @Test("the last enabled admin cannot be disabled, demoted or deleted (409); two admins disabling each other leave one")
    func lastAdmin() async throws {
        try await withController { controller in
            let admin = try await controller.admin.request(.GET, "/api/v1/auth/me").decode(User.self)
            for (change, what) in [(UserPatch(disabled: true), "disabled"), (UserPatch(role: .member), "demoted")] {
                let refused = try await controller.admin.request(.PATCH, "/api/v1/users/\(admin.id)", json: change)
                #expect(refused.status == 409, "the last admin was \(what)")
                #expect(refused.errorMessage == "admin is the last enabled admin: make another user an admin first")
            }
            #expect(try await controller.admin.request(.DELETE, "/api/v1/users/\(admin.id)").status == 409)
            #expect(
                try await controller.admin.request(.PATCH, "/api/v1/users/\(admin.id)", json: UserPatch(password: "admin-password-2")).status == 200
            )
            // A disabled admin does not count.
            let spare = try await controller.makeUser("spare", role: .admin)
            #expect(try await controller.admin.request(.PATCH, "/api/v1/users/\(spare.id)", json: UserPatch(disabled: true)).status == 200)
            #expect(try await controller.admin.request(.DELETE, "/api/v1/users/\(admin.id)").status == 409)

            // Two admins, each disabling the other at the same moment: exactly one wins, every round.
            let x = try await controller.makeUser("x", role: .admin)
            let y = try await controller.makeUser("y", role: .admin)
            #expect(try await x.client.request(.PATCH, "/api/v1/users/\(admin.id)", json: UserPatch(disabled: true)).status == 200)
            for round in 1...5 {
                async let xs = x.client.request(.PATCH, "/api/v1/users/\(y.id)", json: UserPatch(disabled: true))
                async let ys = y.client.request(.PATCH, "/api/v1/users/\(x.id)", json: UserPatch(role: .member))
                let statuses = [try await xs.status, try await ys.status]
                #expect(statuses.filter { $0 == 200 }.count == 1, "round \(round): \(statuses)")
                #expect(statuses.allSatisfy { [200, 401, 403, 409].contains($0) }, "round \(round): \(statuses)")
                let users = try await controller.services.users.list(Pagination()).items
                #expect(users.filter { $0.role == .admin && !$0.disabled }.count == 1, "round \(round)")
                // The winner puts the other back.
                let (winner, loser) = statuses[0] == 200 ? (x, y) : (y, x)
                #expect(
                    try await winner.client.request(.PATCH, "/api/v1/users/\(loser.id)", json: UserPatch(disabled: false, role: .admin)).status == 200
                )
            }
        }
    }
}

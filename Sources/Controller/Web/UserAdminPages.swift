import Foundation
import Hummingbird
import WireProtocol

/// The admin page's forms for users: create, disable, enable, change role, set password, delete (admins); and
/// changing one's own password (everyone). Each shows the admin page again with what happened.
struct UserAdminPages {
    let services: ControllerServices
    let admin: AdminPages

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        let users = services.users
        web.post("admin/users") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let role = UserRole(rawValue: form.text("role") ?? "member") ?? .member
            do {
                let created = try await users.create(
                    username: form.text("username") ?? "",
                    password: form["password"] ?? "",
                    role: role,
                    by: user.caller
                )
                return try await admin.page(user, AdminView.Created(notice: "Created \(created.role.rawValue) \(created.username)."))
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .conflict]) else { throw error }
                let created = AdminView.Created(error: error.message, username: form.text("username") ?? "")
                return try await admin.page(user, created, status: error.status)
            }
        }
        for (path, disabled) in [("disable", true), ("enable", false)] {
            web.post(RouterPath("admin/users/:id/\(path)")) { request, context -> Response in
                let (user, _) = try await context.webForm(request, admin: true)
                let id = try request.id(context)
                return try await admin.change(user, notice: "User \(path)d.") {
                    _ = try await users.patch(id: id, UserPatch(disabled: disabled), by: user.caller)
                }
            }
        }
        web.post("admin/users/:id/role") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            guard let role = form.text("role").flatMap(UserRole.init(rawValue:)) else {
                throw AppError.unprocessable("role: expected admin or member")
            }
            return try await admin.change(user, notice: "Role set to \(role.rawValue).") {
                _ = try await users.patch(id: id, UserPatch(role: role), by: user.caller)
            }
        }
        web.post("admin/users/:id/password") { request, context -> Response in
            let (user, form) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            return try await admin.change(user, notice: "Password set; their web sessions ended.") {
                _ = try await users.patch(id: id, UserPatch(password: form["password"] ?? ""), by: user.caller)
            }
        }
        web.post("admin/users/:id/delete") { request, context -> Response in
            let (user, _) = try await context.webForm(request, admin: true)
            let id = try request.id(context)
            return try await admin.change(user, notice: "User deleted; their tasks stay under their name.") {
                try await users.delete(id: id, by: user.caller)
            }
        }
        web.post("admin/password") { request, context -> Response in
            let (user, form) = try await context.webForm(request)
            return try await admin.change(user, notice: "Your password was changed.") {
                let new = form["new_password"] ?? ""
                guard new == form["new_password_again"] else {
                    throw AppError.unprocessable("new_password_again: the two new passwords differ")
                }
                try await users.changeOwnPassword(
                    PasswordChange(currentPassword: form["current_password"] ?? "", newPassword: new),
                    by: user.caller
                )
            }
        }
    }
}

import Foundation
import PostgresNIO
import WireProtocol

extension UserRepository {
    /// The advisory lock every change that could take away an enabled admin takes in its transaction
    /// ("tfadmins" in ASCII): two admins disabling each other at once cannot both succeed.
    static let adminLockKey: Int64 = 0x7466_6164_6D69_6E73

    /// What decides whether a user counts as an admin who can act.
    struct Standing: Equatable, Sendable {
        var role: UserRole
        var disabled: Bool

        var isEnabledAdmin: Bool { role == .admin && !disabled }
    }

    /// Whether changing a user from `before` to `after` (`nil`: deleting them) leaves no enabled admin, when
    /// `enabledAdmins` are enabled admins now.
    static func removesLastAdmin(before: Standing, after: Standing?, enabledAdmins: Int) -> Bool {
        before.isEnabledAdmin && !(after?.isEnabledAdmin ?? false) && enabledAdmins <= 1
    }

    /// Disables or enables a user, gives them another role or sets their password (admin). Disabling ends their
    /// web sessions and API tokens at once on every controller; a new password ends their web sessions. The
    /// last enabled admin cannot be disabled or demoted (409).
    func patch(id: Int64, _ patch: UserPatch, by caller: Caller) async throws -> User {
        if let password = patch.password { try Self.validate(password: password) }
        var newHash: String?
        if let password = patch.password { newHash = try await Self.hashPassword(password) }
        let hash = newHash
        return try await changingCredentials { transaction in
            let (name, before) = try await lockForAdministration(id: id, transaction)
            let after = Standing(role: patch.role ?? before.role, disabled: patch.disabled ?? before.disabled)
            try await refuseLosingLastAdmin(name, before: before, after: after, transaction)
            let row = try await transaction.query(
                """
                UPDATE users SET role = \(after.role.rawValue),
                    disabled_at = CASE WHEN \(after.disabled) THEN coalesce(disabled_at, now()) END,
                    password_hash = coalesce(\(hash), password_hash), updated_at = now()
                WHERE id = \(id) RETURNING \(unescaped: Self.userColumns)
                """
            ).first()!
            if (after.disabled && !before.disabled) || hash != nil {
                try await transaction.query("DELETE FROM sessions WHERE user_id = \(id)")
            }
            if after.disabled != before.disabled {
                try await transaction.audit(caller, after.disabled ? .userDisable : .userEnable, .user(id), name)
            }
            if after.role != before.role {
                try await transaction.audit(caller, .userRole, .user(id), "\(name): \(before.role.rawValue) to \(after.role.rawValue)")
            }
            if hash != nil { try await transaction.audit(caller, .userPassword, .user(id), name) }
            return try Self.user(row)
        }
    }

    /// Deletes a user with their tokens and sessions (admin). Their tasks stay, attributed by name. The last
    /// enabled admin cannot be deleted (409).
    func delete(id: Int64, by caller: Caller) async throws {
        try await changingCredentials { transaction in
            let (name, before) = try await lockForAdministration(id: id, transaction)
            try await refuseLosingLastAdmin(name, before: before, after: nil, transaction)
            let kept =
                try await transaction.query(
                    """
                    WITH kept AS (UPDATE tasks SET submitted_by_name = \(name) WHERE submitted_by = \(id) RETURNING 1)
                    SELECT count(*)::int FROM kept
                    """
                ).collect(Int.self).first ?? 0
            try await transaction.query("DELETE FROM users WHERE id = \(id)")
            try await transaction.audit(caller, .userDelete, .user(id), "\(name); \(kept) tasks kept under the name")
        }
    }

    /// Sets the password of the user named `username`, as ``patch(id:_:by:)`` does.
    func setPassword(username: String, password: String, by caller: Caller) async throws {
        guard let user = try await find(username: username) else { throw StoreError.notFound("no user named \(username)") }
        _ = try await patch(id: user.id, UserPatch(password: password), by: caller)
    }

    /// The caller changes their own password, proving it with the current one (403 when it is wrong).
    func changeOwnPassword(_ change: PasswordChange, by caller: Caller) async throws {
        try Self.validate(password: change.newPassword, field: "new_password")
        guard let id = caller.userID,
            let current = try await database.query(
                "SELECT password_hash FROM users WHERE id = \(id) AND disabled_at IS NULL"
            ).collect(String.self).first
        else { throw StoreError.credentialRefused("user \(caller.name) no longer exists or is disabled") }
        guard try await Self.verifyPassword(change.currentPassword, hash: current) else {
            throw StoreError.notPermitted("current_password: that is not your current password")
        }
        let hash = try await Self.hashPassword(change.newPassword)
        try await database.transaction { transaction in
            let changed = try await transaction.query(
                """
                UPDATE users SET password_hash = \(hash), updated_at = now()
                WHERE id = \(id) AND password_hash = \(current) RETURNING id
                """
            ).collect(Int64.self)
            guard !changed.isEmpty else { throw StoreError.conflict("the password was changed meanwhile; try again") }
            try await transaction.audit(caller, .ownPassword, .user(id), caller.name)
        }
    }

    /// Takes the admin lock and the user's row; 404 when there is no such user.
    private func lockForAdministration(id: Int64, _ transaction: Transaction) async throws -> (String, Standing) {
        try await transaction.query("SELECT pg_advisory_xact_lock(\(Self.adminLockKey))")
        guard
            let row = try await transaction.query(
                "SELECT username, role, disabled_at IS NOT NULL FROM users WHERE id = \(id) FOR UPDATE"
            ).first()
        else { throw StoreError.notFound("no user \(id)") }
        let (name, role, disabled) = try row.decode((String, String, Bool).self)
        return (name, Standing(role: UserRole(rawValue: role) ?? .member, disabled: disabled))
    }

    /// 409 when the change would leave no enabled admin. Needs the admin lock.
    private func refuseLosingLastAdmin(_ name: String, before: Standing, after: Standing?, _ transaction: Transaction) async throws {
        guard before.isEnabledAdmin, !(after?.isEnabledAdmin ?? false) else { return }
        let admins =
            try await transaction.query(
                "SELECT count(*)::int FROM users WHERE role = 'admin' AND disabled_at IS NULL"
            ).collect(Int.self).first ?? 0
        if Self.removesLastAdmin(before: before, after: after, enabledAdmins: admins) {
            throw StoreError.conflict("\(name) is the last enabled admin: make another user an admin first")
        }
    }
}

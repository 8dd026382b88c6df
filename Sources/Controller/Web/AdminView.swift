import Foundation
import WireProtocol

/// The admin page: one's password and API tokens, users, enrollment tokens and the latest audit entries, with
/// what the last action created.
struct AdminView: Sendable {
    /// What the action before this page made: secrets shown once, a message, or the error of a form.
    struct Created: Sendable {
        /// A new enrollment token: the command to run with it.
        struct Enrollment: Sendable {
            var id: Int64
            var command: String
        }

        var apiToken: CreatedToken?
        var enrollment: Enrollment?
        var notice: String?
        var error: String?
        /// What the user form held when it failed.
        var username = ""
    }

    /// A user in the user table, with the role the role button gives.
    struct UserRow: Sendable {
        var id: Int64
        var username: String
        var role: String
        var otherRole: String
        var disabled: Bool
        var created: String
        /// The signed-in admin: their own row has no delete button.
        var isSelf: Bool
    }

    /// One of the user's API tokens, without its secret.
    struct TokenRow: Sendable {
        var id: Int64
        var name: String
        var prefix: String
        var created: String
        var lastUsed: String
    }

    /// An enrollment token with whether it can still be used.
    struct EnrollmentRow: Sendable {
        var id: Int64
        var note: String
        var expires: String
        var uses: String
        var status: String
        var usable: Bool
    }

    var isAdmin: Bool
    var username: String
    var users: [UserRow]
    var tokens: [TokenRow]
    var enrollment: [EnrollmentRow]
    var audit: [AuditView.Row]
    var created: Created
    var roles: [SelectOption]

    init(
        user: WebUser,
        users: [User],
        tokens: [APIToken],
        enrollment: [EnrollmentToken],
        audit: [AuditEntry],
        created: Created,
        now: Date = Date()
    ) {
        isAdmin = user.isAdmin
        username = user.username
        self.users = users.map {
            UserRow(
                id: $0.id,
                username: $0.username,
                role: $0.role.rawValue,
                otherRole: ($0.role == .admin ? UserRole.member : .admin).rawValue,
                disabled: $0.disabled,
                created: WebFormat.time($0.createdAt),
                isSelf: $0.id == user.id
            )
        }
        self.audit = audit.map(AuditView.Row.init)
        self.tokens = tokens.map {
            TokenRow(
                id: $0.id,
                name: $0.name,
                prefix: $0.prefix,
                created: WebFormat.time($0.createdAt),
                lastUsed: WebFormat.ago($0.lastUsedAt, now: now)
            )
        }
        self.enrollment = enrollment.reversed().map { token in
            let status = Self.status(token, now: now)
            return EnrollmentRow(
                id: token.id,
                note: token.note,
                expires: WebFormat.time(token.expiresAt),
                uses: "\(token.uses) of \(token.maxUses)",
                status: status,
                usable: status == "usable"
            )
        }
        self.created = created
        roles = UserRole.allCases.map { SelectOption(value: $0.rawValue, label: $0.rawValue, selected: $0 == .member) }
    }

    /// Whether an enrollment token can still enroll a node, and if not, why.
    static func status(_ token: EnrollmentToken, now: Date) -> String {
        if token.revoked { return "revoked" }
        if token.expiresAt <= now { return "expired" }
        if token.uses >= token.maxUses { return "used up" }
        return "usable"
    }
}

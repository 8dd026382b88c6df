import Foundation

public struct User: Codable, Sendable, Equatable {
    public var id: Int64
    public var username: String
    public var role: UserRole
    /// A disabled user can neither sign in nor use their API tokens.
    public var disabled: Bool
    public var createdAt: Date

    public init(id: Int64, username: String, role: UserRole, disabled: Bool = false, createdAt: Date) {
        self.id = id
        self.username = username
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// Body of `PATCH /api/v1/users/{id}` (admin): what to change; absent fields stay as they are.
public struct UserPatch: Codable, Sendable, Equatable {
    public var disabled: Bool?
    public var role: UserRole?
    /// A new password, set by the admin.
    public var password: String?

    public init(disabled: Bool? = nil, role: UserRole? = nil, password: String? = nil) {
        self.disabled = disabled
        self.role = role
        self.password = password
    }
}

/// Body of `POST /api/v1/auth/password`: the caller changes their own password.
public struct PasswordChange: Codable, Sendable {
    public var currentPassword: String
    public var newPassword: String

    public init(currentPassword: String, newPassword: String) {
        self.currentPassword = currentPassword
        self.newPassword = newPassword
    }
}

/// Body of `POST /api/v1/users`.
public struct UserInput: Codable, Sendable {
    public var username: String
    public var password: String
    public var role: UserRole?

    public init(username: String, password: String, role: UserRole? = nil) {
        self.username = username
        self.password = password
        self.role = role
    }
}

/// Body of `POST /api/v1/auth/login`.
public struct LoginInput: Codable, Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// Body of `POST /api/v1/tokens`.
public struct TokenInput: Codable, Sendable {
    public var name: String?

    public init(name: String? = nil) { self.name = name }
}

/// An API token as listed; the secret itself is shown only once, at creation.
public struct APIToken: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var prefix: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(id: Int64, name: String, prefix: String, createdAt: Date, lastUsedAt: Date?) {
        self.id = id
        self.name = name
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// The answer to `POST /api/v1/tokens`: the only time the secret is shown.
public struct CreatedToken: Codable, Sendable {
    public var id: Int64
    public var name: String
    public var token: String

    public init(id: Int64, name: String, token: String) {
        self.id = id
        self.name = name
        self.token = token
    }
}

/// Body of `POST /api/v1/enrollment-tokens`.
public struct EnrollmentTokenInput: Codable, Sendable {
    public var ttlS: Int?
    public var maxUses: Int?
    public var note: String?

    public init(ttlS: Int? = nil, maxUses: Int? = nil, note: String? = nil) {
        self.ttlS = ttlS
        self.maxUses = maxUses
        self.note = note
    }
}

public struct EnrollmentToken: Codable, Sendable {
    public var id: Int64
    public var note: String
    public var expiresAt: Date
    public var maxUses: Int
    public var uses: Int
    public var revoked: Bool
    public var createdAt: Date
    /// Only in the answer to the creation.
    public var token: String?
    /// Only in the answer to the creation: the ready `testfleet-agent enroll …` line.
    public var command: String?

    public init(
        id: Int64,
        note: String,
        expiresAt: Date,
        maxUses: Int,
        uses: Int,
        revoked: Bool,
        createdAt: Date,
        token: String? = nil,
        command: String? = nil
    ) {
        self.id = id
        self.note = note
        self.expiresAt = expiresAt
        self.maxUses = maxUses
        self.uses = uses
        self.revoked = revoked
        self.createdAt = createdAt
        self.token = token
        self.command = command
    }
}

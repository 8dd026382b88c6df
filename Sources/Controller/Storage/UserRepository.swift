import Foundation
import HummingbirdBcrypt
import Logging
import NIOPosix
import PostgresNIO
import WireProtocol

/// API tokens this controller has recently seen, by the hash of the token; revocations and changes to their
/// users are notified.
typealias TokenCache = ReadCache<Data, UserRepository.CachedToken>

/// Users, their API tokens and web sessions.
struct UserRepository: Sendable {
    let database: Database
    /// Tokens recently seen by this controller.
    var tokens = TokenCache()

    struct CachedToken: Sendable {
        var user: AuthenticatedUser
        var tokenID: Int64
        /// When this controller last recorded the token's use.
        var usageWrittenAt: ContinuousClock.Instant

        /// A token's `last_used_at` is written at most this often.
        static let usageInterval = Duration.seconds(60)

        /// Whether this use is to be recorded; if so it counts as recorded.
        mutating func recordsUse(at now: ContinuousClock.Instant) -> Bool {
            guard now - usageWrittenAt >= Self.usageInterval else { return false }
            usageWrittenAt = now
            return true
        }
    }

    static let bcryptCost: UInt8 = 10

    static func hashPassword(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: bcryptCost) }
    }

    static func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    static func validate(username: String) throws {
        guard username.range(of: #"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"#, options: .regularExpression) != nil else {
            throw StoreError.invalid(
                "username: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
            )
        }
    }

    static func validate(password: String, field: String = "password") throws {
        guard password.count >= 8 else { throw StoreError.invalid("\(field): at least 8 characters") }
        guard password.utf8.count <= 72 else { throw StoreError.invalid("\(field): at most 72 bytes") }
    }

    static let userColumns = "id, username, role, disabled_at IS NOT NULL, created_at"

    func create(username: String, password: String, role: UserRole, by caller: Caller) async throws -> User {
        try Self.validate(username: username)
        try Self.validate(password: password)
        let hash = try await Self.hashPassword(password)
        do {
            return try await database.transaction { transaction in
                let row = try await transaction.query(
                    """
                    INSERT INTO users (username, password_hash, role) VALUES (\(username), \(hash), \(role.rawValue))
                    RETURNING \(unescaped: Self.userColumns)
                    """
                ).first()!
                let user = try Self.user(row)
                try await transaction.audit(caller, .userCreate, .user(user.id), "\(user.username) as \(role.rawValue)")
                return user
            }
        } catch let error as StoreError where error.kind == .conflict {
            throw StoreError.conflict("a user named \(username) already exists")
        }
    }

    /// Creates the first admin when there is no user yet; returns the password it set, if it did.
    func bootstrapAdmin(password: String?) async throws -> String? {
        let existing = try await database.query("SELECT count(*) FROM users").collect(Int64.self).first ?? 0
        guard existing == 0 else { return nil }
        let chosen = password ?? Secrets.randomToken(bytes: 18)
        let hash = try await Self.hashPassword(chosen)
        let inserted = try await database.query(
            """
            INSERT INTO users (username, password_hash, role) VALUES ('admin', \(hash), 'admin')
            ON CONFLICT (username) DO NOTHING RETURNING id
            """
        ).collect(Int64.self)
        return inserted.isEmpty ? nil : chosen
    }

    func list(_ pagination: Pagination) async throws -> Page<User> {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.userColumns) FROM users WHERE id > \(pagination.after ?? 0)
            ORDER BY id LIMIT \(pagination.limit + 1)
            """
        ).all()
        return pagination.page(try rows.map(Self.user), id: \.id)
    }

    func find(username: String) async throws -> User? {
        try await database.query("SELECT \(unescaped: Self.userColumns) FROM users WHERE username = \(username)")
            .first().map(Self.user)
    }

    /// The user these credentials belong to, or `nil`; 401 for a disabled user whose password is right (only
    /// someone who knows it learns that the account is disabled).
    func authenticate(username: String, password: String) async throws -> AuthenticatedUser? {
        guard
            let row = try await database.query(
                """
                SELECT id, username, role, password_hash, disabled_at IS NOT NULL FROM users WHERE username = \(username)
                """
            ).first()
        else {
            // Spend the same time as a real check, so timing does not tell which usernames exist.
            _ = try await Self.verifyPassword(password, hash: Self.dummyHash)
            return nil
        }
        let (id, name, role, hash, disabled) = try row.decode((Int64, String, String, String, Bool).self)
        guard try await Self.verifyPassword(password, hash: hash) else { return nil }
        if disabled { throw StoreError.credentialRefused("user \(name) is disabled; ask an admin") }
        return AuthenticatedUser(id: id, username: name, role: UserRole(rawValue: role) ?? .member, method: .password)
    }

    private static let dummyHash = Bcrypt.hash("testfleet-timing-equalizer", cost: bcryptCost)

    static func user(_ row: PostgresRow) throws -> User {
        let (id, name, role, disabled, created) = try row.decode((Int64, String, String, Bool, Date).self)
        return User(id: id, username: name, role: UserRole(rawValue: role) ?? .member, disabled: disabled, createdAt: created)
    }
}

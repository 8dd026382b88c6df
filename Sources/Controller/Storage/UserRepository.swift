import Foundation
import HummingbirdBcrypt
import Logging
import NIOPosix
import PostgresNIO
import WireProtocol

/// API tokens this controller has recently seen, by the hash of the token; revocations are notified.
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

    static func validate(username: String, password: String) throws {
        guard username.range(of: #"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"#, options: .regularExpression) != nil else {
            throw AppError.unprocessable(
                "username: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
            )
        }
        guard password.count >= 8 else { throw AppError.unprocessable("password: at least 8 characters") }
        guard password.utf8.count <= 72 else { throw AppError.unprocessable("password: at most 72 bytes") }
    }

    func create(username: String, password: String, role: UserRole) async throws -> User {
        try Self.validate(username: username, password: password)
        let hash = try await Self.hashPassword(password)
        do {
            let row = try await database.query(
                """
                INSERT INTO users (username, password_hash, role) VALUES (\(username), \(hash), \(role.rawValue))
                RETURNING id, username, role, created_at
                """
            ).first()!
            return try Self.user(row)
        } catch let error as AppError where error.status == .conflict {
            throw AppError.conflict("a user named \(username) already exists")
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

    func setPassword(username: String, password: String) async throws {
        try Self.validate(username: username, password: password)
        let hash = try await Self.hashPassword(password)
        let updated = try await database.query(
            "UPDATE users SET password_hash = \(hash), updated_at = now() WHERE username = \(username) RETURNING id"
        ).collect(Int64.self)
        guard !updated.isEmpty else { throw AppError.notFound("no user named \(username)") }
    }

    func list(_ pagination: Pagination) async throws -> Page<User> {
        let rows = try await database.query(
            """
            SELECT id, username, role, created_at FROM users WHERE id > \(pagination.after ?? 0)
            ORDER BY id LIMIT \(pagination.limit + 1)
            """
        ).all()
        return pagination.page(try rows.map(Self.user), id: \.id)
    }

    func find(username: String) async throws -> User? {
        try await database.query(
            "SELECT id, username, role, created_at FROM users WHERE username = \(username)"
        ).first().map(Self.user)
    }

    /// The user these credentials belong to, or `nil`.
    func authenticate(username: String, password: String) async throws -> AuthenticatedUser? {
        guard
            let row = try await database.query(
                "SELECT id, username, role, password_hash FROM users WHERE username = \(username)"
            ).first()
        else {
            // Spend the same time as a real check, so timing does not tell which usernames exist.
            _ = try await Self.verifyPassword(password, hash: Self.dummyHash)
            return nil
        }
        let (id, name, role, hash) = try row.decode((Int64, String, String, String).self)
        guard try await Self.verifyPassword(password, hash: hash) else { return nil }
        return AuthenticatedUser(id: id, username: name, role: UserRole(rawValue: role) ?? .member, method: .password)
    }

    private static let dummyHash = Bcrypt.hash("testfleet-timing-equalizer", cost: bcryptCost)

    // MARK: API tokens

    func createToken(userID: Int64, name: String) async throws -> CreatedToken {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.count <= 200 else { throw AppError.unprocessable("name: at most 200 characters") }
        let token = Secrets.token(kind: "tfu")
        let prefix = String(token.prefix(10))
        let id = try await database.query(
            """
            INSERT INTO api_tokens (user_id, name, prefix, token_hash)
            VALUES (\(userID), \(name.isEmpty ? "token" : name), \(prefix), \(Secrets.hash(token))) RETURNING id
            """
        ).collect(Int64.self)[0]
        return CreatedToken(id: id, name: name.isEmpty ? "token" : name, token: token)
    }

    func listTokens(userID: Int64) async throws -> [APIToken] {
        try await database.query(
            """
            SELECT id, name, prefix, created_at, last_used_at FROM api_tokens WHERE user_id = \(userID) ORDER BY id
            """
        ).all().map { row in
            let (id, name, prefix, created, used) = try row.decode((Int64, String, String, Date, Date?).self)
            return APIToken(id: id, name: name, prefix: prefix, createdAt: created, lastUsedAt: used)
        }
    }

    /// Revokes a token of `userID` (any user's for admins).
    func deleteToken(id: Int64, userID: Int64, isAdmin: Bool) async throws {
        // Every controller forgets the tokens it has cached when this commits; this one at once.
        let deleted = try await database.query(
            """
            WITH deleted AS (
                DELETE FROM api_tokens WHERE id = \(id) AND (user_id = \(userID) OR \(isAdmin)) RETURNING id
            ), notified AS (
                SELECT pg_notify(\(Notifications.channel), \(Notifications.tokenRevoked)) FROM deleted
            )
            SELECT deleted.id FROM deleted, notified
            """
        ).collect(Int64.self)
        tokens.forgetAll()
        guard !deleted.isEmpty else { throw AppError.notFound("no token \(id)") }
    }

    /// The user an API token belongs to; records its use at most once a minute.
    func user(forToken token: String) async throws -> AuthenticatedUser? {
        let hash = Secrets.hash(token)
        let now = ContinuousClock.now
        if let (user, tokenID, recordsUse) = tokens.value(hash, { ($0.user, $0.tokenID, $0.recordsUse(at: now)) }) {
            if recordsUse {
                try await database.query("UPDATE api_tokens SET last_used_at = now() WHERE id = \(tokenID)")
            }
            return user
        }
        let generation = tokens.generation
        guard
            let row = try await database.query(
                """
                SELECT u.id, u.username, u.role, t.id, t.last_used_at < now() - interval '1 minute'
                    OR t.last_used_at IS NULL
                FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = \(hash)
                """
            ).first()
        else { return nil }
        let (id, name, role, tokenID, stale) = try row.decode((Int64, String, String, Int64, Bool).self)
        if stale {
            try await database.query("UPDATE api_tokens SET last_used_at = now() WHERE id = \(tokenID)")
        }
        let user = AuthenticatedUser(id: id, username: name, role: UserRole(rawValue: role) ?? .member, method: .token)
        tokens.remember(CachedToken(user: user, tokenID: tokenID, usageWrittenAt: now), under: [hash], asOf: generation)
        return user
    }

    // MARK: Sessions

    struct NewSession: Sendable {
        var token: String
        var csrfToken: String
        var expiresAt: Date
    }

    func createSession(userID: Int64, ttlSeconds: Int) async throws -> NewSession {
        let token = Secrets.token(kind: "tfs")
        let csrf = Secrets.randomToken(bytes: 24)
        let expires = try await database.query(
            """
            INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
            VALUES (\(Secrets.hash(token)), \(userID), \(csrf), now() + make_interval(secs => \(Double(ttlSeconds))))
            RETURNING expires_at
            """
        ).collect(Date.self)[0]
        // Expired sessions go when new ones come.
        try await database.query("DELETE FROM sessions WHERE expires_at < now()")
        return NewSession(token: token, csrfToken: csrf, expiresAt: expires)
    }

    func user(forSession token: String) async throws -> AuthenticatedUser? {
        guard
            let row = try await database.query(
                """
                SELECT u.id, u.username, u.role, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = \(Secrets.hash(token)) AND s.expires_at > now()
                """
            ).first()
        else { return nil }
        let (id, name, role, csrf) = try row.decode((Int64, String, String, String).self)
        return AuthenticatedUser(
            id: id,
            username: name,
            role: UserRole(rawValue: role) ?? .member,
            method: .session(csrfToken: csrf)
        )
    }

    func deleteSession(token: String) async throws {
        try await database.query("DELETE FROM sessions WHERE token_hash = \(Secrets.hash(token))")
    }

    static func user(_ row: PostgresRow) throws -> User {
        let (id, name, role, created) = try row.decode((Int64, String, String, Date).self)
        return User(id: id, username: name, role: UserRole(rawValue: role) ?? .member, createdAt: created)
    }
}

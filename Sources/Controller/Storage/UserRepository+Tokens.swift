import Foundation
import PostgresNIO
import WireProtocol

extension UserRepository {
    // MARK: API tokens

    func createToken(userID: Int64, name: String, by caller: Caller) async throws -> CreatedToken {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.count <= 200 else { throw StoreError.invalid("name: at most 200 characters") }
        let named = name.isEmpty ? "token" : name
        let token = Secrets.token(kind: "tfu")
        let prefix = String(token.prefix(10))
        let id = try await database.transaction { transaction in
            let id = try await transaction.query(
                """
                INSERT INTO api_tokens (user_id, name, prefix, token_hash)
                VALUES (\(userID), \(named), \(prefix), \(Secrets.hash(token))) RETURNING id
                """
            ).collect(Int64.self)[0]
            try await transaction.audit(caller, .tokenCreate, .apiToken(id), named)
            return id
        }
        return CreatedToken(id: id, name: named, token: token)
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

    /// Revokes one of the caller's tokens (any user's for admins).
    func deleteToken(id: Int64, by caller: Caller) async throws {
        try await changingCredentials { transaction in
            guard
                let row = try await transaction.query(
                    """
                    DELETE FROM api_tokens t USING users u
                    WHERE t.id = \(id) AND u.id = t.user_id AND (t.user_id = \(caller.userID) OR \(caller.isAdmin))
                    RETURNING t.name, u.username
                    """
                ).first()
            else { throw StoreError.notFound("no token \(id)") }
            let (name, owner) = try row.decode((String, String).self)
            try await transaction.audit(caller, .tokenRevoke, .apiToken(id), "\(name) of \(owner)")
        }
    }

    /// Runs a change to users or their tokens in a transaction and makes every controller forget the API tokens
    /// it has cached: the others when the notification sent in the transaction arrives, this one as soon as the
    /// transaction has committed.
    func changingCredentials<Result: Sendable>(_ body: (Transaction) async throws -> Result) async throws -> Result {
        defer { tokens.forgetAll() }
        return try await database.transaction(notifying: Notifications.tokenRevoked, body)
    }

    /// The enabled user an API token belongs to; records its use at most once a minute.
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
                FROM api_tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = \(hash) AND u.disabled_at IS NULL
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

    /// The enabled user of a live session. Sessions are not cached: a disabled user's end at once everywhere.
    func user(forSession token: String) async throws -> AuthenticatedUser? {
        guard
            let row = try await database.query(
                """
                SELECT u.id, u.username, u.role, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = \(Secrets.hash(token)) AND s.expires_at > now() AND u.disabled_at IS NULL
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
}

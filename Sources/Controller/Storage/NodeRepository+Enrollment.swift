import Foundation
import PostgresNIO
import WireProtocol

extension NodeRepository {
    // MARK: Enrollment tokens

    func createEnrollmentToken(_ input: EnrollmentTokenInput, by caller: Caller) async throws -> (EnrollmentToken, String) {
        let ttl = input.ttlS ?? 3600
        let maxUses = input.maxUses ?? 1
        guard (60...(365 * 86400)).contains(ttl) else {
            throw StoreError.invalid("ttl_s: expected 60 to 31536000 seconds, got \(ttl)")
        }
        guard (1...10000).contains(maxUses) else {
            throw StoreError.invalid("max_uses: expected 1 to 10000, got \(maxUses)")
        }
        let note = input.note ?? ""
        guard note.count <= 500 else { throw StoreError.invalid("note: at most 500 characters") }
        let token = Secrets.token(kind: "tfe")
        let created = try await database.transaction { transaction in
            let row = try await transaction.query(
                """
                INSERT INTO enrollment_tokens (token_hash, created_by, note, expires_at, max_uses)
                VALUES (\(Secrets.hash(token)), \(caller.userID), \(note), now() + make_interval(secs => \(Double(ttl))), \(maxUses))
                RETURNING id, note, expires_at, max_uses, uses, revoked_at IS NOT NULL, created_at
                """
            ).first()!
            let created = try Self.enrollmentToken(row)
            let detail = (maxUses == 1 ? "1 use" : "\(maxUses) uses") + ", valid \(ttl) s" + (note.isEmpty ? "" : ": \(note)")
            try await transaction.audit(caller, .enrollmentCreate, .enrollmentToken(created.id), detail)
            return created
        }
        return (created, token)
    }

    func listEnrollmentTokens(_ pagination: Pagination) async throws -> Page<EnrollmentToken> {
        let rows = try await database.query(
            """
            SELECT id, note, expires_at, max_uses, uses, revoked_at IS NOT NULL, created_at FROM enrollment_tokens
            WHERE id > \(pagination.after ?? 0) ORDER BY id LIMIT \(pagination.limit + 1)
            """
        ).all()
        return pagination.page(try rows.map(Self.enrollmentToken), id: \.id)
    }

    func revokeEnrollmentToken(id: Int64, by caller: Caller) async throws {
        try await database.transaction { transaction in
            let rows = try await transaction.query(
                "UPDATE enrollment_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) RETURNING id"
            ).collect(Int64.self)
            guard !rows.isEmpty else { throw StoreError.notFound("no enrollment token \(id)") }
            try await transaction.audit(caller, .enrollmentRevoke, .enrollmentToken(id))
        }
    }

    private static func enrollmentToken(_ row: PostgresRow) throws -> EnrollmentToken {
        let (id, note, expires, maxUses, uses, revoked, created) = try row.decode(
            (Int64, String, Date, Int, Int, Bool, Date).self
        )
        return EnrollmentToken(
            id: id,
            note: note,
            expiresAt: expires,
            maxUses: maxUses,
            uses: uses,
            revoked: revoked,
            createdAt: created
        )
    }

    /// Spends one use of an enrollment token and enrolls (or re-keys) the node named in the request.
    func enroll(token: String, request: EnrollRequest) async throws -> EnrollResponse {
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200, !name.contains(where: { $0.isNewline }) else {
            throw StoreError.invalid("name: 1 to 200 characters on one line")
        }
        guard (1...1024).contains(request.facts.slots) else {
            throw StoreError.invalid("facts.slots: expected 1 to 1024, got \(request.facts.slots)")
        }
        let credential = Secrets.token(kind: "tfn")
        let facts = request.facts
        return try await database.transaction { transaction in
            guard
                let row = try await transaction.query(
                    """
                    SELECT id, expires_at < now(), expires_at, uses >= max_uses, max_uses, revoked_at IS NOT NULL
                    FROM enrollment_tokens WHERE token_hash = \(Secrets.hash(token)) FOR UPDATE
                    """
                ).first()
            else { throw StoreError.credentialRefused("unknown enrollment token") }
            let (tokenID, expired, expiresAt, usedUp, maxUses, revoked) = try row.decode(
                (Int64, Bool, Date, Bool, Int, Bool).self
            )
            if revoked { throw StoreError.credentialRefused("enrollment token \(tokenID) was revoked") }
            if expired {
                throw StoreError.credentialRefused(
                    "enrollment token \(tokenID) expired at \(WireJSON.formatTimestamp(expiresAt))"
                )
            }
            if usedUp {
                throw StoreError.credentialRefused(
                    "enrollment token \(tokenID) is used up (\(maxUses) of \(maxUses) uses)"
                )
            }
            try await transaction.query(
                "UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = \(tokenID)"
            )
            let nodeID = try await transaction.query(
                """
                INSERT INTO nodes (name, hostname, ip, os, arch, agent_version, slots, credential_hash, last_seen_at)
                VALUES (\(name), \(facts.hostname), \(facts.ip), \(facts.os), \(facts.arch), \(facts.agentVersion),
                        \(facts.slots), \(Secrets.hash(credential)), \(clock.now))
                ON CONFLICT (name) DO UPDATE SET
                    hostname = excluded.hostname, ip = excluded.ip, os = excluded.os, arch = excluded.arch,
                    agent_version = excluded.agent_version, slots = excluded.slots,
                    credential_hash = excluded.credential_hash, revoked_at = NULL, state = 'online',
                    state_reason = NULL, consecutive_infra_failures = 0, last_seen_at = excluded.last_seen_at,
                    updated_at = now()
                RETURNING id
                """
            ).collect(Int64.self)[0]
            // A re-enrolled node's old credential stops working on every controller.
            try await transaction.query(
                "SELECT pg_notify(\(Notifications.channel), \(Notifications.nodeChanged(nodeID)))"
            )
            return EnrollResponse(nodeId: nodeID, name: name, credential: credential)
        }
    }
}

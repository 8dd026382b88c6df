import Foundation
import PostgresNIO
import WireProtocol

extension Transaction {
    /// Records a change in the audit log, in the transaction that makes it: the entry is kept exactly when the
    /// change is. `detail` is a short description and must never hold a secret.
    func audit(_ caller: Caller, _ action: AuditAction, _ target: AuditTarget, _ detail: String = "") async throws {
        try await query(
            """
            INSERT INTO audit_log (actor, actor_id, action, target_kind, target_id, detail, address)
            VALUES (\(caller.name), \(caller.userID), \(action.rawValue), \(target.kind), \(target.id),
                    \(AuditLog.shortened(detail)), \(caller.address))
            """
        )
    }
}

/// Reading the audit log (entries are written by ``Transaction/audit(_:_:_:_:)``).
struct AuditLog: Sendable {
    let database: Database

    /// Details longer than this are cut: the log says what changed, not the whole new value.
    static let detailLimit = 300

    static func shortened(_ detail: String) -> String {
        detail.count <= detailLimit ? detail : String(detail.prefix(detailLimit - 1)) + "…"
    }

    struct Filter: Sendable {
        var actor: String?
        var action: String?
    }

    /// Entries, newest first; the cursor is the last id of the previous page.
    func list(_ pagination: Pagination, filter: Filter) async throws -> Page<AuditEntry> {
        let rows = try await database.query(
            """
            SELECT id, created_at, actor, action, target_kind, target_id, detail, address FROM audit_log
            WHERE id < \(pagination.after ?? Int64.max)
              AND (\(filter.actor)::text IS NULL OR actor = \(filter.actor))
              AND (\(filter.action)::text IS NULL OR action = \(filter.action))
            ORDER BY id DESC LIMIT \(pagination.limit + 1)
            """
        ).all()
        let entries = try rows.map { row in
            let (id, at, actor, action, kind, targetID, detail, address) = try row.decode(
                (Int64, Date, String, String, String, Int64?, String, String?).self
            )
            return AuditEntry(
                id: id,
                at: at,
                actor: actor,
                action: action,
                target: AuditTarget(kind: kind, id: targetID),
                detail: detail,
                address: address
            )
        }
        return pagination.page(entries, id: \.id)
    }
}

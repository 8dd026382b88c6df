import Foundation

/// One entry of the audit log, as `GET /api/v1/audit` lists it: who changed what, when, and from where.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    /// The user who made the change; `console:NAME` for `testfleet-controller` run on the controller's machine.
    public var actor: String
    /// What was done, as `kind.verb`: `user.disable`, `task.cancel`, `product.artifact`, …
    public var action: String
    public var target: AuditTarget
    /// A short description; never a secret.
    public var detail: String
    /// The client address the request came from.
    public var address: String?

    public init(
        id: Int64,
        at: Date,
        actor: String,
        action: String,
        target: AuditTarget,
        detail: String,
        address: String?
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
        self.address = address
    }
}

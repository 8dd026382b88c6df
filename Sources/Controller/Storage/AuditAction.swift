import WireProtocol

/// Every kind of change the audit log records, as `kind.verb`. Adding an audited change is one case here and
/// one ``Transaction/audit(_:_:_:_:)`` in the transaction that makes the change.
enum AuditAction: String, CaseIterable, Sendable {
    case userCreate = "user.create"
    case userDisable = "user.disable"
    case userEnable = "user.enable"
    case userRole = "user.role"
    /// An admin set someone's password.
    case userPassword = "user.password"
    case userDelete = "user.delete"
    /// A user changed their own password.
    case ownPassword = "auth.password"
    case tokenCreate = "api_token.create"
    case tokenRevoke = "api_token.revoke"
    case enrollmentCreate = "enrollment_token.create"
    case enrollmentRevoke = "enrollment_token.revoke"
    case nodeEnable = "node.enable"
    case nodeDrain = "node.drain"
    case nodeDisable = "node.disable"
    /// Slots or labels changed.
    case nodeUpdate = "node.update"
    case nodeRevoke = "node.revoke"
    case productCreate = "product.create"
    case productUpdate = "product.update"
    case productDelete = "product.delete"
    case productArtifact = "product.artifact"
    case productTools = "product.tools"
    case productTestResult = "product.test_result"
    case toolCreate = "tool.create"
    case toolUpdate = "tool.update"
    case toolDelete = "tool.delete"
    case toolArtifact = "tool.artifact"
    case environmentInstall = "environment.install"
    case environmentUninstall = "environment.uninstall"
    case taskCancel = "task.cancel"
    /// Some of a finished task's cases submitted again as a new task.
    case taskRerun = "task.rerun"
    case taskDelete = "task.delete"
    case caseCancel = "case.cancel"
}

extension AuditTarget {
    static func user(_ id: Int64) -> AuditTarget { AuditTarget(kind: "user", id: id) }
    static func apiToken(_ id: Int64) -> AuditTarget { AuditTarget(kind: "api_token", id: id) }
    static func enrollmentToken(_ id: Int64) -> AuditTarget { AuditTarget(kind: "enrollment_token", id: id) }
    static func node(_ id: Int64) -> AuditTarget { AuditTarget(kind: "node", id: id) }
    static func installJob(_ id: Int64) -> AuditTarget { AuditTarget(kind: "install_job", id: id) }
    static func task(_ id: Int64) -> AuditTarget { AuditTarget(kind: "task", id: id) }
    static func `case`(_ id: Int64) -> AuditTarget { AuditTarget(kind: "case", id: id) }

    /// A product or tool.
    static func catalog(_ kind: CatalogKind, _ id: Int64) -> AuditTarget {
        AuditTarget(kind: kind.rawValue, id: id)
    }
}

import Foundation

/// What an audited change was made to: a kind (`user`, `task`, `node`, …) and its id.
public struct AuditTarget: Codable, Sendable, Hashable {
    public var kind: String
    public var id: Int64?

    public init(kind: String, id: Int64?) {
        self.kind = kind
        self.id = id
    }
}

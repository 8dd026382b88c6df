/// What storage refuses, in its own terms. The API answers each kind with its status in one place
/// (`AppError.init(_:)`); storage knows nothing of HTTP.
struct StoreError: Error, Equatable, CustomStringConvertible {
    enum Kind: Sendable {
        /// No such row.
        case notFound
        /// The row was there and was deleted on purpose (a task past retention).
        case gone
        /// The request contradicts the state it meets: a duplicate, a row still in use, a stale lease.
        case conflict
        /// A field's value is refused; the reason names the field.
        case invalid
        /// A credential that is unknown, revoked, expired or belongs to a disabled account.
        case credentialRefused
        /// The caller is known but may not do this.
        case notPermitted
    }

    var kind: Kind
    /// What was refused and why, in words a user can act on.
    var reason: String
    /// For a refused log chunk: where the stored log ends.
    var offset: Int64?

    var description: String { reason }

    static func notFound(_ reason: String) -> StoreError { StoreError(kind: .notFound, reason: reason) }
    static func gone(_ reason: String) -> StoreError { StoreError(kind: .gone, reason: reason) }
    static func conflict(_ reason: String, offset: Int64? = nil) -> StoreError {
        StoreError(kind: .conflict, reason: reason, offset: offset)
    }
    static func invalid(_ reason: String) -> StoreError { StoreError(kind: .invalid, reason: reason) }
    static func credentialRefused(_ reason: String) -> StoreError { StoreError(kind: .credentialRefused, reason: reason) }
    static func notPermitted(_ reason: String) -> StoreError { StoreError(kind: .notPermitted, reason: reason) }
}

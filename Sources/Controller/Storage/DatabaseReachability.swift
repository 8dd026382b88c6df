import Synchronization

/// Whether PostgreSQL can be reached, as the notification listener last found it: its connection drops the moment
/// the server goes away, and it comes back once the server does.
///
/// While the database is out of reach, statements fail at once with ``DatabaseUnreachable`` instead of waiting for
/// a pooled connection, which the pool gives up on only after a minute: a caller learns within milliseconds that it
/// should try again shortly.
final class DatabaseReachability: Sendable {
    private let reachable = Atomic(true)

    init() {}

    var isReachable: Bool { reachable.load(ordering: .relaxed) }

    func lost() { reachable.store(false, ordering: .relaxed) }

    /// Records that the database is there; true when it was out of reach until now.
    @discardableResult
    func found() -> Bool { !reachable.exchange(true, ordering: .relaxed) }

    /// Throws ``DatabaseUnreachable`` while the database is out of reach.
    func check() throws {
        guard isReachable else { throw DatabaseUnreachable() }
    }
}

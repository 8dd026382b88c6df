import Foundation
import Synchronization

/// The time scheduling decides by: when a lease expires, how long a task has waited, when a node fell silent,
/// when a retried case may go back to the node it failed on.
///
/// A controller's clock is the database's (``database``): statements bind no instant and PostgreSQL's `now()`
/// decides, so replicas sharing one database agree whatever their own clocks say. A test gives its controller a
/// clock that stands still until the test moves it (``manual(at:)``, ``advance(by:)``), so that aging and expiry
/// are decided without waiting for real time to pass.
final class SchedulingClock: Sendable {
    /// Where a manual clock stands; `nil` for the database's clock.
    private let fixed: Mutex<Date?>

    private init(fixed: Date?) { self.fixed = Mutex(fixed) }

    /// The database's clock.
    static let database = SchedulingClock(fixed: nil)

    /// A clock that stands at `start` until ``advance(by:)`` moves it.
    static func manual(at start: Date = Date()) -> SchedulingClock { SchedulingClock(fixed: start) }

    /// The instant a statement binds as its `now` (``SchedulingSQL/now(_:)``). A statement reads it once, so that
    /// all of its times agree.
    var now: Now { Now(instant: fixed.withLock { $0 }) }

    /// Now, for what is decided in Swift: where a manual clock stands, or this machine's time.
    var date: Date { now.instant ?? Date() }

    /// Moves a manual clock forward.
    func advance(by duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        fixed.withLock { instant in
            guard let current = instant else { preconditionFailure("the database's clock cannot be moved") }
            instant = current.addingTimeInterval(seconds)
        }
    }

    /// An instant as a statement binds it.
    struct Now: Sendable {
        /// `nil` for the database's `now()`.
        var instant: Date?
    }
}

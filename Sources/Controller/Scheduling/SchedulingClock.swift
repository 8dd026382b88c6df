import Foundation
import Synchronization

/// The time scheduling decides by: when a lease expires, how long a task has waited, when a node fell silent,
/// when a retried case may go back to the node it failed on, when a long poll ends, when the reaper and the
/// presence writer next run.
///
/// A controller's clock is the database's (``database``): statements bind no instant and PostgreSQL's `now()`
/// decides, so replicas sharing one database agree whatever their own clocks say; waits are measured on this
/// machine's continuous clock. A test gives its controller a clock that stands still until the test moves it
/// (``manual(at:)``, ``advance(by:)``): aging and expiry are decided, and waits end, without real time passing.
final class SchedulingClock: Sendable {
    private struct State {
        /// Where a manual clock stands; `nil` for the database's clock.
        var date: Date?
        /// How far a manual clock has been moved.
        var elapsed = Duration.zero
        var sleepers: [UInt64: (deadline: ContinuousClock.Instant, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextSleeper: UInt64 = 0
    }

    private let state: Mutex<State>
    /// Whether this is a manual clock: the database's clock reads and waits without taking the lock.
    private let isManual: Bool
    /// A manual clock's instants count from here.
    private let origin = ContinuousClock.now

    private init(fixed: Date?) {
        state = Mutex(State(date: fixed))
        isManual = fixed != nil
    }

    /// The database's clock.
    static let database = SchedulingClock(fixed: nil)

    /// A clock that stands at `start` until ``advance(by:)`` moves it.
    static func manual(at start: Date = Date()) -> SchedulingClock { SchedulingClock(fixed: start) }

    /// The instant a statement binds as its `now` (``SchedulingSQL/now(_:)``). A statement reads it once, so that
    /// all of its times agree.
    var now: Now { Now(instant: isManual ? state.withLock { $0.date } : nil) }

    /// Now, for what is decided in Swift: where a manual clock stands, or this machine's time.
    var date: Date { now.instant ?? Date() }

    /// Now, for waits and intervals: this machine's continuous clock, or where a manual clock stands on it.
    var instant: ContinuousClock.Instant {
        isManual ? origin + state.withLock { $0.elapsed } : .now
    }

    /// Waits until `deadline` on ``instant``'s clock: a manual clock's waits end when it is moved past them.
    /// Throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws {
        guard isManual else { return try await Task.sleep(until: deadline, clock: .continuous) }
        let id = state.withLock { state in
            state.nextSleeper += 1
            return state.nextSleeper
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let now: Result<Void, any Error>? = state.withLock { state in
                    // Cancelled before the continuation is stored: the cancellation handler found nothing to resume.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if origin + state.elapsed >= deadline { return .success(()) }
                    state.sleepers[id] = (deadline, continuation)
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Waits for `duration` on ``instant``'s clock.
    func sleep(for duration: Duration) async throws {
        try await sleep(until: instant + duration)
    }

    /// Moves a manual clock forward; the waits it passes end.
    func advance(by duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let due = state.withLock { state in
            guard let current = state.date else { preconditionFailure("the database's clock cannot be moved") }
            state.date = current.addingTimeInterval(seconds)
            state.elapsed += duration
            let now = origin + state.elapsed
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// Waits a manual clock holds, for a test to move it once something waits.
    var waiting: Int { state.withLock { $0.sleepers.count } }

    /// An instant as a statement binds it.
    struct Now: Sendable {
        /// `nil` for the database's `now()`.
        var instant: Date?
    }
}

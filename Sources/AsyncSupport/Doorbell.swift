import Synchronization

/// Wakes one waiting task when rung. A ring while nobody waits is kept for the next wait, so a ring between a
/// check and the wait that follows it is never missed; waiters re-check what they wait for after waking.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at once when rung since the last wait, otherwise at the next ring. One waiter at a time.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.rung {
                    state.rung = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Like ``wait()``, but returns at `deadline` at the latest.
    public func wait(until deadline: ContinuousClock.Instant) async {
        let timer = Task { [weak self] in
            if (try? await Task.sleep(until: deadline, clock: .continuous)) != nil { self?.ring() }
        }
        await wait()
        timer.cancel()
    }
}

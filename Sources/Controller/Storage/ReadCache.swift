import Synchronization

/// Answers read from the database, kept for `ttl` so that the next request asking the same needs no round trip.
/// A notification that they changed calls `forgetAll`; an answer read before a forget is not kept: read
/// `generation` before the query and pass it to `remember`. While notifications cannot arrive, the cache is
/// suspended and keeps nothing, so a change made meanwhile is not missed.
final class ReadCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: (value: Value, cachedAt: ContinuousClock.Instant)] = [:]
        /// Bumped by every forget.
        var generation: UInt64 = 0
        var suspended = false
    }

    private let state = Mutex(State())
    let ttl: Duration

    init(ttl: Duration = .seconds(300)) {
        self.ttl = ttl
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    /// The value kept under `key`, passed through `body`, which may change it (its age stays).
    func value<Result: Sendable>(_ key: Key, _ body: (inout Value) -> Result) -> Result? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard ContinuousClock.now - entry.cachedAt < ttl else {
                state.entries[key] = nil
                return nil
            }
            return body(&state.entries[key]!.value)
        }
    }

    func value(_ key: Key) -> Value? { value(key) { $0 } }

    /// Keeps what a lookup begun at `generation` found, under each of `keys`, unless a forget came meanwhile.
    func remember(_ value: Value, under keys: [Key], asOf generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation, !state.suspended else { return }
            let now = ContinuousClock.now
            for key in keys { state.entries[key] = (value, now) }
        }
    }

    /// Forgets the answer under `key`; a lookup of any key begun before is not kept either.
    func forget(_ key: Key) {
        state.withLock { state in
            state.generation += 1
            state.entries[key] = nil
        }
    }

    func forgetAll() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
        }
    }

    /// Forgets everything and keeps nothing until ``resume()``: for while notifications are not received.
    func suspend() {
        state.withLock { state in
            state.suspended = true
            state.generation += 1
            state.entries.removeAll()
        }
    }

    /// Keeps answers again, from an empty cache.
    func resume() {
        state.withLock { state in
            state.suspended = false
            state.generation += 1
            state.entries.removeAll()
        }
    }
}

import Foundation
import Synchronization

/// API tokens this controller has recently seen, so a request with a known token needs no database round trip.
/// Revoking a token notifies every controller, which then forgets them all; entries also expire on their own
/// after `ttl`, which bounds what a missed notification could leave behind.
final class TokenCache: Sendable {
    struct Entry: Sendable {
        var user: AuthenticatedUser
        var tokenID: Int64
        var cachedAt: ContinuousClock.Instant
        /// When this controller last recorded the token's use.
        var usageWrittenAt: ContinuousClock.Instant?
    }

    private struct State {
        var entries: [Data: Entry] = [:]
        /// Bumped by every forget; an answer read before a forget is not kept.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    let ttl: Duration
    /// A token's `last_used_at` is written at most this often.
    let usageInterval: Duration

    init(ttl: Duration = .seconds(300), usageInterval: Duration = .seconds(60)) {
        self.ttl = ttl
        self.usageInterval = usageInterval
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    /// The cached user of a token hash, and whether its use should be written now (then it counts as written).
    func lookUp(_ hash: Data) -> (user: AuthenticatedUser, tokenID: Int64, writeUsage: Bool)? {
        state.withLock { state in
            guard var entry = state.entries[hash] else { return nil }
            let now = ContinuousClock.now
            guard now - entry.cachedAt < ttl else {
                state.entries[hash] = nil
                return nil
            }
            let writeUsage = entry.usageWrittenAt.map { now - $0 >= usageInterval } ?? true
            if writeUsage {
                entry.usageWrittenAt = now
                state.entries[hash] = entry
            }
            return (entry.user, entry.tokenID, writeUsage)
        }
    }

    /// Keeps what a lookup begun at `generation` found, unless tokens were revoked meanwhile.
    func remember(_ hash: Data, user: AuthenticatedUser, tokenID: Int64, usageWritten: Bool, asOf generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            let now = ContinuousClock.now
            state.entries[hash] = Entry(user: user, tokenID: tokenID, cachedAt: now, usageWrittenAt: usageWritten ? now : nil)
        }
    }

    /// A token was revoked here or on another controller, or notifications may have been missed.
    func forgetAll() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
        }
    }
}

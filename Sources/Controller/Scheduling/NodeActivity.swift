import AsyncSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// What this controller knows about nodes without asking the database on every request: which credentials
/// belong to which node, when each node was last recorded as seen, and which nodes just found nothing to
/// lease. Notifications about a node or about new work clear what they make stale.
final class NodeActivity: Sendable {
    struct CachedCredential: Sendable {
        var node: AuthenticatedNode?
        var revokedName: String?
        var cachedAt: ContinuousClock.Instant
    }

    private struct State {
        var credentials: [Data: CachedCredential] = [:]
        /// When this process last wrote each node's `last_seen_at`, on the scheduling clock.
        var written: [Int64: ContinuousClock.Instant] = [:]
        /// Nodes seen since the last flush.
        var pending: Set<Int64> = []
        /// Nodes whose last lease query found nothing: what they can run, the generation before the query,
        /// and when.
        var idle: [Int64: (keys: Set<WorkKey>, generation: UInt64, since: ContinuousClock.Instant)] = [:]
        /// Nodes known to have no queued install job, as of a generation.
        var noInstallJobs: [Int64: UInt64] = [:]
        /// Counts events; a mark made from a query is void when a relevant event came after the query began.
        var generation: UInt64 = 0
        var lastWork: [WorkKey: UInt64] = [:]
        var lastNodeEvent: [Int64: UInt64] = [:]
        /// A slot freed on a node: it may lease cases again. Its install jobs are unaffected.
        var lastSlotFreed: [Int64: UInt64] = [:]
        var lastGlobalEvent: UInt64 = 0
        /// Since when agents could reach this controller and its database: before, they could renew no lease and
        /// be seen by no one.
        var reachableSince: ContinuousClock.Instant

        mutating func bump() -> UInt64 {
            generation += 1
            return generation
        }

        func eventAfter(_ generation: UInt64, node: Int64, keys: Set<WorkKey> = []) -> Bool {
            lastGlobalEvent > generation || (lastNodeEvent[node] ?? 0) > generation
                || keys.contains { (lastWork[$0] ?? 0) > generation }
        }
    }

    private let state: Mutex<State>
    /// Credentials are trusted this long without a notification (revocations are notified).
    let credentialTTL: Duration
    /// A node seen more recently than this is recorded in the next batch instead of at once.
    let presenceBatchWindow: Duration
    /// An idle mark is trusted this long without a notification.
    let idleTTL: Duration

    /// Decides when a node's presence is written again; the caches' ages are this machine's time.
    let clock: SchedulingClock

    init(
        credentialTTL: Duration = .seconds(600),
        presenceBatchWindow: Duration = .seconds(60),
        idleTTL: Duration = .seconds(600),
        clock: SchedulingClock = .database
    ) {
        self.clock = clock
        state = Mutex(State(reachableSince: clock.instant))
        self.credentialTTL = credentialTTL
        self.presenceBatchWindow = presenceBatchWindow
        self.idleTTL = idleTTL
    }

    // MARK: Credentials

    func credential(_ hash: Data) -> CachedCredential? {
        state.withLock { state in
            guard let cached = state.credentials[hash] else { return nil }
            guard ContinuousClock.now - cached.cachedAt < credentialTTL else {
                state.credentials[hash] = nil
                return nil
            }
            return cached
        }
    }

    func remember(_ hash: Data, node: AuthenticatedNode?, revokedName: String?) {
        state.withLock { $0.credentials[hash] = CachedCredential(node: node, revokedName: revokedName, cachedAt: .now) }
    }

    // MARK: Presence

    /// Whether the node's visit must be written now (first in a while); otherwise it joins the next batch.
    func needsImmediateWrite(_ node: Int64) -> Bool {
        let now = clock.instant
        return state.withLock { state in
            if let written = state.written[node], now - written < presenceBatchWindow {
                state.pending.insert(node)
                return false
            }
            state.written[node] = now
            state.pending.remove(node)
            return true
        }
    }

    /// Takes the nodes to record in the next batch.
    func takePending() -> [Int64] {
        let now = clock.instant
        return state.withLock { state in
            let nodes = Array(state.pending)
            state.pending.removeAll()
            for node in nodes { state.written[node] = now }
            return nodes
        }
    }

    // MARK: Reachability

    /// The database is back after an outage: until then, agents could not renew their leases through this
    /// controller.
    func reachableAgain() {
        let now = clock.instant
        state.withLock { $0.reachableSince = now }
    }

    /// Whether agents have been able to reach this controller and its database for `duration`: a lease that
    /// expired, or a node that fell silent, while they could not is not yet the agent's fault.
    func reachable(for duration: Duration) -> Bool {
        let now = clock.instant
        return state.withLock { now - $0.reachableSince >= duration }
    }

    // MARK: Idle nodes

    /// Read before a lease query; marks made from the query's answer carry it.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Records that a query begun at `generation` found nothing for the node.
    func markIdle(_ node: Int64, keys: Set<WorkKey>, asOf generation: UInt64) {
        state.withLock { $0.idle[node] = (keys, generation, .now) }
    }

    /// Whether the node found nothing last time and nothing it could run has appeared since that query began.
    func isIdle(_ node: Int64) -> Bool {
        state.withLock { state in
            guard let mark = state.idle[node] else { return false }
            guard ContinuousClock.now - mark.since < idleTTL,
                !state.eventAfter(mark.generation, node: node, keys: mark.keys),
                (state.lastSlotFreed[node] ?? 0) <= mark.generation
            else {
                state.idle[node] = nil
                return false
            }
            return true
        }
    }

    /// Whether something about the node changed (its inventory, its state, everything cached) after `generation`.
    func nodeChanged(_ node: Int64, after generation: UInt64) -> Bool {
        state.withLock { $0.eventAfter(generation, node: node) }
    }

    /// New work for `key`: known at once from this controller's own submissions, from the others' by notification.
    func workAppeared(_ key: WorkKey) {
        state.withLock { state in
            state.lastWork[key] = state.bump()
        }
    }

    // MARK: Install jobs

    /// Whether the node may have an install job waiting (unknown counts as maybe).
    func mayHaveInstallJobs(_ node: Int64) -> Bool {
        state.withLock { state in
            guard let checked = state.noInstallJobs[node] else { return true }
            return state.eventAfter(checked, node: node)
        }
    }

    /// Records that a query begun at `generation` found no install job for the node.
    func noInstallJobs(_ node: Int64, asOf generation: UInt64) {
        state.withLock { $0.noInstallJobs[node] = generation }
    }

    func installQueued(_ node: Int64) {
        state.withLock { state in
            state.lastNodeEvent[node] = state.bump()
        }
    }

    /// Everything known about the node is stale: state, slots, inventory or credential changed.
    func forget(node: Int64) {
        state.withLock { state in
            state.lastNodeEvent[node] = state.bump()
            state.noInstallJobs[node] = nil
            state.written[node] = nil
            state.idle[node] = nil
            state.credentials = state.credentials.filter { $0.value.node?.id != node }
        }
    }

    /// After a missed notification: nothing cached is trusted.
    func forgetAll() {
        state.withLock { state in
            state.lastGlobalEvent = state.bump()
            state.idle.removeAll()
            state.noInstallJobs.removeAll()
            state.credentials.removeAll()
        }
    }

    /// A slot of the node freed up: it may lease cases again. What it knows of install jobs still holds, so the
    /// next lease request does not ask the database for them.
    func slotFreed(_ node: Int64) {
        state.withLock { state in
            state.lastSlotFreed[node] = state.bump()
        }
    }
}

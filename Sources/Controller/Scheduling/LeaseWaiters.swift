import Synchronization
import WireProtocol

/// Lease requests waiting for work on this controller, and the decision which of them a notification wakes.
///
/// A request registers *before* it queries, so work that arrives while the query runs marks it woken and the
/// wait that follows returns at once: nothing slips between the query and the wait.
///
/// A submission can also *claim* waiting requests and hand each a case it leased in the statement that stored
/// the task: the claimed request is left alone by notifications until the case is delivered or the claim is
/// given up, which wakes it to look for itself.
final class LeaseWaiters: Sendable {
    struct Ticket: Hashable, Sendable {
        fileprivate let id: UInt64
    }

    /// A waiting request a submission may hand a case to.
    struct Claim: Sendable, Equatable {
        let ticket: Ticket
        let node: Int64
    }

    enum Outcome: Sendable, Equatable {
        case woken, timedOut, cancelled
        /// A submission leased a case to this request.
        case handed(Lease)
    }

    /// The state of every waiter, apart from the continuations' resumption.
    struct State: Sendable {
        struct Entry: Sendable {
            var node: Int64
            var capabilities: Set<WorkKey>
            var woken = false
            /// A submission is about to hand this request a case: notifications pass it by.
            var claimed = false
            var continuation: CheckedContinuation<Outcome, Never>?

            /// Not woken yet, and not about to be handed a case.
            var canBeWoken: Bool { !woken && !claimed }
            /// Suspended, not yet woken and not claimed.
            var isIdle: Bool { continuation != nil && canBeWoken }
        }

        var nextID: UInt64 = 0
        /// Registration order is wake-up order: the longest waiting request is woken first.
        var entries: [UInt64: Entry] = [:]

        mutating func register(node: Int64, capabilities: Set<WorkKey>) -> UInt64 {
            nextID += 1
            entries[nextID] = Entry(node: node, capabilities: capabilities)
            return nextID
        }

        /// Marks up to `count` not yet woken waiters that can run `key` as woken, oldest first; returns the
        /// continuations to resume.
        mutating func wake(key: WorkKey, count: Int) -> [CheckedContinuation<Outcome, Never>] {
            let chosen = entries.filter { $0.value.canBeWoken && $0.value.capabilities.contains(key) }
                .keys.sorted().prefix(max(count, 0))
            return chosen.compactMap { markWoken($0) }
        }

        mutating func wake(node: Int64) -> [CheckedContinuation<Outcome, Never>] {
            entries.filter { $0.value.node == node && $0.value.canBeWoken }.keys.compactMap { markWoken($0) }
        }

        mutating func wakeAll() -> [CheckedContinuation<Outcome, Never>] {
            entries.filter { $0.value.canBeWoken }.keys.compactMap { markWoken($0) }
        }

        /// Claims up to `limit` suspended requests that can run `key`, oldest first and one per node.
        mutating func claim(key: WorkKey, limit: Int) -> [(id: UInt64, node: Int64)] {
            var nodes = Set<Int64>()
            var claimed: [(id: UInt64, node: Int64)] = []
            for id in entries.filter({ $0.value.isIdle && $0.value.capabilities.contains(key) }).keys.sorted() {
                guard claimed.count < limit else { break }
                guard let node = entries[id]?.node, nodes.insert(node).inserted else { continue }
                entries[id]?.claimed = true
                claimed.append((id, node))
            }
            return claimed
        }

        /// The claimed request's continuation, to resume with its case; `nil` when it stopped waiting meanwhile.
        mutating func deliver(_ id: UInt64) -> CheckedContinuation<Outcome, Never>? {
            guard entries[id]?.claimed == true else { return nil }
            entries[id]?.claimed = false
            guard let continuation = entries[id]?.continuation else { return nil }
            entries[id]?.continuation = nil
            return continuation
        }

        /// Gives up a claim: the request is woken to look for work itself, since notifications passed it by.
        mutating func unclaim(_ id: UInt64) -> CheckedContinuation<Outcome, Never>? {
            guard entries[id]?.claimed == true else { return nil }
            entries[id]?.claimed = false
            return markWoken(id)
        }

        /// A suspended waiter is handed back to be resumed; one that is not waiting yet keeps the wake-up
        /// for its next wait.
        private mutating func markWoken(_ id: UInt64) -> CheckedContinuation<Outcome, Never>? {
            guard let continuation = entries[id]?.continuation else {
                entries[id]?.woken = true
                return nil
            }
            entries[id]?.continuation = nil
            return continuation
        }
    }

    private let state = Mutex(State())

    init() {}

    var count: Int { state.withLock { $0.entries.count } }

    /// Requests suspended in ``wait(_:until:)``, the ones a submission can claim.
    var suspended: Int { state.withLock { $0.entries.values.count { $0.continuation != nil } } }

    func register(node: Int64, capabilities: Set<WorkKey>) -> Ticket {
        Ticket(id: state.withLock { $0.register(node: node, capabilities: capabilities) })
    }

    /// Forgets a ticket (after a successful lease, or when the request ends).
    func remove(_ ticket: Ticket) {
        let continuation = state.withLock { $0.entries.removeValue(forKey: ticket.id)?.continuation }
        continuation?.resume(returning: .cancelled)
    }

    /// Waits until the ticket is woken, the deadline passes on `clock` or the task is cancelled. A ticket woken
    /// before this call returns at once. The ticket stays registered: wait again or remove it.
    func wait(_ ticket: Ticket, until deadline: ContinuousClock.Instant, on clock: SchedulingClock) async -> Outcome {
        if consumeWoken(ticket) { return .woken }
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask { await self.suspend(ticket) }
            group.addTask {
                do {
                    try await clock.sleep(until: deadline)
                    return .timedOut
                } catch {
                    return .cancelled
                }
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            // The timer won or the task was cancelled: release the suspended half.
            let continuation = state.withLock { state -> CheckedContinuation<Outcome, Never>? in
                let continuation = state.entries[ticket.id]?.continuation
                state.entries[ticket.id]?.continuation = nil
                return continuation
            }
            continuation?.resume(returning: first)
            var outcomes = [first]
            while let other = await group.next() { outcomes.append(other) }
            // A handed case must reach the request whatever else happened; the route takes it back if the
            // agent is gone.
            for case .handed(let lease) in outcomes { return .handed(lease) }
            if outcomes.contains(.woken) || consumeWoken(ticket) { return .woken }
            return first
        }
    }

    private func consumeWoken(_ ticket: Ticket) -> Bool {
        state.withLock { state in
            guard state.entries[ticket.id]?.woken == true else { return false }
            state.entries[ticket.id]?.woken = false
            return true
        }
    }

    private func suspend(_ ticket: Ticket) async -> Outcome {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                // Cancelled before the continuation is stored: no cancellation handler would resume it later.
                if Task.isCancelled { return continuation.resume(returning: .cancelled) }
                let resumeNow: Outcome? = state.withLock { state in
                    guard let entry = state.entries[ticket.id] else { return .cancelled }
                    if entry.woken {
                        state.entries[ticket.id]?.woken = false
                        return .woken
                    }
                    state.entries[ticket.id]?.continuation = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Outcome, Never>? in
                let continuation = state.entries[ticket.id]?.continuation
                state.entries[ticket.id]?.continuation = nil
                return continuation
            }
            continuation?.resume(returning: .cancelled)
        }
    }

    /// Claims up to `limit` suspended requests that can run `key`, oldest first, one per node.
    func claim(key: WorkKey, limit: Int) -> [Claim] {
        state.withLock { $0.claim(key: key, limit: limit) }.map { Claim(ticket: Ticket(id: $0.id), node: $0.node) }
    }

    /// Hands the claimed request its case; `false` when it stopped waiting meanwhile (the lease is then to be
    /// taken back).
    func deliver(_ claim: Claim, _ lease: Lease) -> Bool {
        guard let continuation = state.withLock({ $0.deliver(claim.ticket.id) }) else { return false }
        continuation.resume(returning: .handed(lease))
        return true
    }

    /// Gives up a claim without a case: the request looks for work itself.
    func unclaim(_ claim: Claim) {
        state.withLock { $0.unclaim(claim.ticket.id) }?.resume(returning: .woken)
    }

    /// Wakes up to `count` waiters that can run `key`.
    func wake(key: WorkKey, count: Int) {
        let continuations = state.withLock { $0.wake(key: key, count: count) }
        for continuation in continuations { continuation.resume(returning: .woken) }
    }

    func wake(node: Int64) {
        let continuations = state.withLock { $0.wake(node: node) }
        for continuation in continuations { continuation.resume(returning: .woken) }
    }

    func wakeAll() {
        let continuations = state.withLock { $0.wakeAll() }
        for continuation in continuations { continuation.resume(returning: .woken) }
    }
}

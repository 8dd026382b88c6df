import Foundation
import ServiceLifecycle
import WireProtocol

/// Hands nodes their work: the long poll that waits for a case or an install job a node can run, and results that
/// carry the node's next assignment back in their answer.
struct Dispatcher: Sendable {
    let leases: LeaseStore
    let installJobs: InstallJobRepository
    let waiters: LeaseWaiters
    let capabilities: NodeCapabilities
    let activity: NodeActivity
    let metrics: ControllerMetrics
    /// Decides when a long poll ends.
    let clock: SchedulingClock

    /// Leases now, or waits for work this node can run until `wait` seconds have passed. A case leased here gets
    /// `runID` as its lease id. A wait the controller's shutdown ends is answered 503: the node asks again.
    func awaitAssignment(node: Int64, wait: Double, runID: UUID = UUID()) async throws -> Assignment? {
        do {
            return try await assignment(node: node, wait: wait, runID: runID)
        } catch is WaitCancelled {
            var error = AppError(.serviceUnavailable, "the controller is shutting down; lease again")
            error.headers[.retryAfter] = "1"
            throw error
        }
    }

    private func assignment(node: Int64, wait: Double, runID: UUID) async throws -> Assignment? {
        let deadline = clock.instant + .milliseconds(Int64(wait * 1000))
        var ticket: LeaseWaiters.Ticket?
        defer { if let ticket { waiters.remove(ticket) } }
        while true {
            // Read before the capabilities: marks made from them and from the query's answer are void if something
            // relevant happened meanwhile (an inventory that changes the capabilities, new work).
            let generation = activity.generation
            // Registered before the query: work arriving meanwhile wakes this request.
            let capabilities = try await capabilities.capabilities(of: node)
            let fresh = waiters.register(node: node, capabilities: capabilities)
            if let ticket { waiters.remove(ticket) }
            ticket = fresh
            // Environment work goes before cases; most nodes are known to have none.
            if activity.mayHaveInstallJobs(node) {
                if let job = try await installJobs.lease(nodeID: node) { return .install(job) }
                activity.noInstallJobs(node, asOf: generation)
            }
            // A node that found nothing, with no new work for it since, need not ask the database again.
            if !activity.isIdle(node) {
                if let lease = try await leases.lease(nodeID: node, runID: runID) {
                    metrics.leasesGranted.increment()
                    return .run(lease)
                }
                activity.markIdle(node, keys: capabilities, asOf: generation)
            }
            guard clock.instant < deadline else { return nil }
            // The node changed after its capabilities were read, and a wake-up for it may have come before the ticket
            // was registered: read them again rather than wait for work the node may no longer (or now) run.
            if activity.nodeChanged(node, after: generation) { continue }
            let outcome = await cancelWhenGracefulShutdown { await waiters.wait(fresh, until: deadline, on: clock) }
            switch outcome {
            case .handed(let lease):
                return .run(lease)
            case .woken:
                metrics.wakeups.increment()
                continue
            case .timedOut:
                return nil
            case .cancelled:
                throw WaitCancelled()
            }
        }
    }

    /// Records a result that does not ask for more.
    func finish(runID: UUID, node: Int64, result: CaseResult) async throws {
        _ = try await leases.finish(runID: runID, nodeID: node, result: result)
        activity.slotFreed(node)
    }

    /// What recording a result that asks for the node's next assignment leaves to do.
    enum AfterResult: Sendable {
        /// The answer is this assignment.
        case assignment(Assignment)
        /// The answer waits for one (``awaitAfterResult(node:wait:runID:)``); a case leased then gets `runID`.
        case wait(runID: UUID)
    }

    /// Records a result that asks for the node's next assignment. On the common path the statement that records it
    /// leases the next case too, and that is the answer. A result posted again after its answer was lost gets the
    /// same lease again while the node has not claimed it. Otherwise the answer waits for work, which the caller
    /// bounds by its client hanging up: only a wait needs that.
    func record(runID: UUID, node: Int64, result: CaseResult) async throws -> AfterResult {
        // Environment work goes before cases: the result's statement leases only for a node known to have none.
        let next = LeaseStore.NextLease(runID: UUID(), leaseNow: !activity.mayHaveInstallJobs(node))
        // The slot this result frees is seen by the statement itself, so an idle mark made from it holds.
        activity.slotFreed(node)
        let generation = activity.generation
        switch try await leases.finish(runID: runID, nodeID: node, result: result, next: next) {
        case .dispatched(let lease?):
            metrics.leasesGranted.increment()
            return .assignment(.run(lease))
        case .dispatched(nil):
            if next.leaseNow {
                activity.markIdle(node, keys: try await capabilities.capabilities(of: node), asOf: generation)
            }
        case .repeated(let lease?):
            return .assignment(.run(lease))
        case .recorded, .repeated(nil):
            break
        }
        return .wait(runID: next.runID)
    }

    /// The wait after a result for the node's next assignment, up to `wait` seconds. A wait the controller's shutdown
    /// ends is answered with no assignment: the result is recorded, and the node's next long poll finds out that the
    /// controller is gone, instead of the node posting a recorded result again and again.
    func awaitAfterResult(node: Int64, wait: Double, runID: UUID) async throws -> Assignment? {
        do {
            return try await assignment(node: node, wait: wait, runID: runID)
        } catch is WaitCancelled {
            return nil
        }
    }

    /// A wait for work ended early: the controller is shutting down, or the client hung up (and reads no answer).
    private struct WaitCancelled: Error {}
}

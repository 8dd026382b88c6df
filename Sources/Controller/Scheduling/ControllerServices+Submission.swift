import Foundation
import WireProtocol

/// Handing cases out at submission: the part of scheduling that runs when a task arrives.
extension ControllerServices {
    /// Stores a task. Lease requests of this controller waiting for its product and tool are claimed first and
    /// handed a case each by the statement that stores it, so an idle agent gets its case without asking the
    /// database again; a claim the statement could not serve wakes its request to look for itself.
    func submit(_ submission: TaskSubmission, userID: Int64) async throws -> TaskRepository.Stored {
        let task = try await tasks.validate(submission)
        let key = WorkKey(productID: task.product.id, toolID: task.tool.id)
        // A large submission takes long enough to store that its waiters are rather notified. Which waiters have
        // a task's labels is not known here: as many as may be are claimed, and the statement picks those that do.
        let wanted = task.labels.isEmpty ? min(task.cases.count, Self.handoffLimit) : Self.handoffLimit
        let limit = task.cases.count <= SubmitStatement.preparedCaseLimit ? wanted : 0
        let claims = waiters.claim(key: key, limit: limit)
        let handoff = TaskRepository.Handoff(nodes: claims.map(\.node), ttlSeconds: Double(config.leaseTTLSeconds))
        var stored: TaskRepository.Stored
        do {
            stored = try await tasks.store(task, userID: userID, handoff: handoff)
        } catch {
            for claim in claims { waiters.unclaim(claim) }
            // Had the statement committed before a failure (a refusal means it did not), its leases would reach
            // no one.
            if !(error is StoreError) { for runID in handoff.runIDs { try? await leases.release(runID: runID) } }
            throw error
        }
        // Every claim is settled before anything else can suspend this task.
        var undelivered: [UUID] = []
        for claim in claims {
            guard let handed = stored.handed.first(where: { $0.node == claim.node }) else {
                waiters.unclaim(claim)
                continue
            }
            if waiters.deliver(claim, leases.lease(handed, of: stored)) {
                metrics.leasesGranted.increment()
                metrics.leasesHanded.increment()
            } else {
                undelivered.append(handed.runID)
            }
        }
        // A node of this controller that just found nothing may run it: it looks again at its next request, without
        // waiting for the notification of the task to come back from the database.
        activity.workAppeared(key)
        // A request that ended meanwhile: its case goes back to the queue and the others are told. Should that
        // fail, the lease expires and the reaper requeues the case; the task is stored either way.
        for runID in undelivered {
            do {
                try await leases.release(runID: runID)
            } catch {
                logger.warning("could not take back a case handed to a request that ended: \(String(reflecting: error))")
            }
        }
        stored.handed.removeAll { undelivered.contains($0.runID) }
        return stored
    }

    /// At most this many waiting requests are handed a case by one submission; the others are notified.
    static let handoffLimit = 64
}

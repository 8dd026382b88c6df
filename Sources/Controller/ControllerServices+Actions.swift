import Foundation
import Hummingbird
import WireProtocol

/// Changes that take more than one repository call, shared by the API and the web pages.
extension ControllerServices {
    /// Changes a node's state, slots or labels, and forgets what the lease path cached about it.
    func patchNode(id: Int64, _ patch: NodePatch, by caller: Caller) async throws -> NodeInfo {
        let node = try await nodes.patch(id: id, patch, by: caller)
        capabilities.forget(node: id)
        activity.forget(node: id)
        return node
    }

    /// Stores a task. Lease requests of this controller waiting for its product and tool are claimed first and
    /// handed a case each by the statement that stores it, so an idle agent gets its case without asking the
    /// database again; a claim the statement could not serve wakes its request to look for itself.
    func submit(_ submission: TaskSubmission, userID: Int64) async throws -> TaskRepository.Stored {
        let task = try await tasks.validate(submission)
        let key = WorkKey(productID: task.product.id, toolID: task.tool.id)
        // A large submission takes long enough to store that its waiters are rather notified.
        let limit = task.cases.count <= SubmitStatement.preparedCaseLimit ? min(task.cases.count, Self.handoffLimit) : 0
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

    /// Deletes a product or tool and its uploaded artifact.
    func deleteCatalogItem(kind: CatalogRepository.Kind, id: Int64, by caller: Caller) async throws {
        try await catalog.delete(kind, id: id, by: caller)
        try? artifacts.remove(kind: kind, id: id)
    }

    /// Stores the artifact uploaded in `request` (multipart or raw body) for a product or tool.
    func storeArtifact(kind: CatalogRepository.Kind, id: Int64, request: Request, by caller: Caller) async throws -> Artifact {
        _ = try await catalog.artifact(kind: kind, id: id)  // 404 before reading the body
        let artifact = try await artifacts.receive(kind: kind, id: id, request: request, maxBytes: config.artifactMaxBytes)
        try await catalog.setArtifact(kind: kind, id: id, artifact: artifact, by: caller)
        return artifact
    }
}

extension ControllerServices {
    /// Brings the tools of a product on a node to `wanted`: installs the missing ones (and the product when it
    /// is not there) and removes the others the agent installed. Returns the jobs it queued.
    func applyEnvironment(nodeID: Int64, productID: Int64, wanted: Set<Int64>, by caller: Caller) async throws -> [InstallJob] {
        let installed = try await nodes.inventory(nodeID: nodeID).first { $0.productId == productID }
        let present = Set((installed?.tools ?? []).filter { $0.state == .installed }.compactMap(\.toolId))
        let removable = Set(
            (installed?.tools ?? []).filter { $0.state == .installed && $0.source == .managed }.compactMap(\.toolId)
        )
        var jobs: [InstallJob] = []
        let toInstall = wanted.subtracting(present)
        if installed == nil || installed?.state == .failed || !toInstall.isEmpty {
            jobs.append(
                try await installJobs.create(
                    nodeID: nodeID,
                    change: EnvironmentChange(productId: productID, toolIds: toInstall.sorted(), action: .install),
                    by: caller
                )
            )
        }
        let toRemove = removable.subtracting(wanted)
        if !toRemove.isEmpty {
            jobs.append(
                try await installJobs.create(
                    nodeID: nodeID,
                    change: EnvironmentChange(productId: productID, toolIds: toRemove.sorted(), action: .uninstall),
                    by: caller
                )
            )
        }
        if !jobs.isEmpty { activity.installQueued(nodeID) }
        return jobs
    }
}

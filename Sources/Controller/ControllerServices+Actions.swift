import Foundation
import Hummingbird
import WireProtocol

/// Changes that take more than one repository call, shared by the API and the web pages.
extension ControllerServices {
    /// Changes a node's state, slots or labels, and forgets what the lease path cached about it.
    func patchNode(id: Int64, _ patch: NodePatch, by caller: Caller) async throws -> NodeInfo {
        let node = try await nodes.patch(id: id, patch, by: caller)
        nodeCaches.forget(node: id)
        return node
    }

    /// Deletes a product or tool and its uploaded artifact.
    func deleteCatalogItem(kind: CatalogKind, id: Int64, by caller: Caller) async throws {
        try await catalog.delete(kind, id: id, by: caller)
        try? artifacts.remove(kind: kind, id: id)
    }

    /// Stores the artifact uploaded in `request` (multipart or raw body) for a product or tool.
    func storeArtifact(kind: CatalogKind, id: Int64, request: Request, by caller: Caller) async throws -> Artifact {
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

import Foundation
import Hummingbird
import WireProtocol

/// Changes that take more than one repository call, shared by the API and the web pages.
extension ControllerServices {
    /// Changes a node's state, slots or labels, and forgets what the lease path cached about it.
    func patchNode(id: Int64, _ patch: NodePatch) async throws -> NodeInfo {
        let node = try await nodes.patch(id: id, patch)
        capabilities.forget(node: id)
        activity.forget(node: id)
        return node
    }

    /// Deletes a product or tool and its uploaded artifact.
    func deleteCatalogItem(kind: CatalogRepository.Kind, id: Int64) async throws {
        switch kind {
        case .product: try await catalog.deleteProduct(id: id)
        case .tool: try await catalog.deleteTool(id: id)
        }
        try? artifacts.remove(kind: kind, id: id)
    }

    /// Stores the artifact uploaded in `request` (multipart or raw body) for a product or tool.
    func storeArtifact(kind: CatalogRepository.Kind, id: Int64, request: Request) async throws -> Artifact {
        _ = try await catalog.artifact(kind: kind, id: id)  // 404 before reading the body
        let artifact = try await artifacts.receive(kind: kind, id: id, request: request, maxBytes: config.artifactMaxBytes)
        try await catalog.setArtifact(kind: kind, id: id, artifact: artifact)
        return artifact
    }
}

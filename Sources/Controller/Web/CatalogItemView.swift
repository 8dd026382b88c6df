import Foundation
import WireProtocol

/// A product or tool in the catalog lists and pages: the fields both have.
struct CatalogItemView: Sendable {
    var id: Int64
    var name: String
    var version: String
    var downloadURL: String?
    /// The SHA-256 a download from `downloadURL` must have.
    var downloadSHA256: String?
    var installScript: String?
    var artifact: String?
    var artifactHref: String
    var created: String
    var updated: String

    init<Details>(_ item: CatalogItem<Details>) {
        id = item.id
        name = item.name
        version = item.version
        downloadURL = item.downloadUrl
        downloadSHA256 = item.downloadSha256
        installScript = item.installScript
        artifact = item.artifact.map { "\($0.filename) (\(WebFormat.bytes($0.size)), sha256 \($0.sha256.prefix(12))…)" }
        artifactHref = "/api/v1/\(Details.kind.plural)/\(item.id)/artifact"
        created = WebFormat.time(item.createdAt)
        updated = WebFormat.time(item.updatedAt)
    }
}

import Foundation
import WireProtocol

/// A product or tool in the catalog lists and pages: the fields both have.
struct CatalogItemView: Sendable {
    var id: Int64
    /// Its name and version, and where agents get it, as the API gives them.
    var fields: CatalogItemFields
    var artifact: String?
    var artifactHref: String
    var created: String
    var updated: String

    init<Details>(_ item: CatalogItem<Details>) {
        id = item.id
        fields = item.fields
        artifact = item.artifact.map { "\($0.filename) (\(WebFormat.bytes($0.size)), sha256 \($0.sha256.prefix(12))…)" }
        artifactHref = "/api/v1/\(Details.kind.plural)/\(item.id)/artifact"
        created = WebFormat.time(item.createdAt)
        updated = WebFormat.time(item.updatedAt)
    }
}

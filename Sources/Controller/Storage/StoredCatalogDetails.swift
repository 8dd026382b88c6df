import Foundation
import PostgresNIO
import WireProtocol

/// How the repository keeps what only one kind of catalog item has: the columns it adds to the kind's table,
/// how an input for them is checked and written, and how they are read back. Everything else about products
/// and tools is stored the same way, by ``CatalogRepository``.
protocol StoredCatalogDetails: CatalogItemDetails {
    /// The columns this kind adds, read back by ``init(_:)``.
    static var columns: [String] { get }

    /// Reads the details from a row that holds ``columns``.
    init(_ row: PostgresRandomAccessRow) throws

    /// Refuses an input for these details that the kind does not accept.
    static func validate(_ input: Input) throws

    /// Writes what an input gives into the kind's columns; what it leaves out keeps its value (or default).
    static func write(_ input: Input, to columns: inout CatalogColumns)

    /// The item as the catalog cache holds it, and back.
    static func cached(_ item: CatalogItem<Self>) -> CatalogRepository.CachedItem
    static func item(in cached: CatalogRepository.CachedItem) -> CatalogItem<Self>?
}

extension CatalogItem where Details: StoredCatalogDetails {
    /// The columns every item has, then its kind's, prefixed by `alias` when one names the table.
    static func columns(alias: String? = nil) -> String {
        let prefix = alias.map { $0 + "." } ?? ""
        let columns =
            ["id", "name", "version", "download_url", "download_sha256", "install_script"] + Details.columns + [
                "artifact_filename", "artifact_size", "artifact_sha256", "created_at", "updated_at",
            ]
        return columns.map { prefix + $0 }.joined(separator: ", ")
    }

    /// Reads an item from a row that holds ``columns(alias:)``.
    init(_ postgresRow: PostgresRow) throws {
        let row = postgresRow.makeRandomAccess()
        let fields = CatalogItemFields(
            name: try row["name"].decode(String.self),
            version: try row["version"].decode(String.self),
            downloadUrl: try row["download_url"].decode(String?.self),
            downloadSha256: try row["download_sha256"].decode(String?.self),
            installScript: try row["install_script"].decode(String?.self)
        )
        let filename = try row["artifact_filename"].decode(String?.self)
        let size = try row["artifact_size"].decode(Int64?.self)
        let sha256 = try row["artifact_sha256"].decode(String?.self)
        self.init(
            id: try row["id"].decode(Int64.self),
            fields: fields,
            details: try Details(row),
            artifact: filename.flatMap { f in size.flatMap { s in sha256.map { Artifact(filename: f, size: s, sha256: $0) } } },
            createdAt: try row["created_at"].decode(Date.self),
            updatedAt: try row["updated_at"].decode(Date.self)
        )
    }
}

/// The two kinds of item in the catalog: the products under test, and the test tools that run their cases.
/// Both are stored, served and listed the same way; what only one kind has is its ``CatalogItemDetails``.
public enum CatalogKind: String, Sendable {
    case product, tool

    /// The kind's items together, as in their URLs (`/api/v1/products`) and tables.
    public var plural: String { rawValue + "s" }
}

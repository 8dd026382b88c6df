import PostgresNIO
import WireProtocol

/// Products are stored with the columns every catalog item has, and no others.
extension ProductDetails: StoredCatalogDetails {
    static var columns: [String] { [] }

    init(_ row: PostgresRandomAccessRow) throws { self.init() }

    static func validate(_ input: ProductDetails) throws {}

    static func write(_ input: ProductDetails, to columns: inout CatalogColumns) {}

    static func cached(_ item: Product) -> CatalogRepository.CachedItem { .product(item) }

    static func item(in cached: CatalogRepository.CachedItem) -> Product? {
        guard case .product(let product) = cached else { return nil }
        return product
    }
}

/// A product under test: the catalog's fields alone.
public typealias Product = CatalogItem<ProductDetails>

/// Body of `POST /api/v1/products` and `PUT /api/v1/products/{id}`.
public typealias ProductInput = CatalogItemInput<ProductDetails>

/// A product has nothing of its own beyond what every catalog item has.
public struct ProductDetails: CatalogItemDetails {
    public typealias Input = ProductDetails

    public static var kind: CatalogKind { .product }

    public init() {}
}

extension CatalogItemInput where Details == ProductDetails {
    public init(name: String, version: String, downloadUrl: String? = nil, downloadSha256: String? = nil, installScript: String? = nil) {
        self.init(
            CatalogItemFields(name: name, version: version, downloadUrl: downloadUrl, downloadSha256: downloadSha256, installScript: installScript),
            details: ProductDetails()
        )
    }
}

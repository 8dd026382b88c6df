import WireProtocol

/// What the CLI lists of one kind of catalog item beyond its id, name and version.
protocol ListedCatalogDetails: CatalogItemDetails {
    /// The headers of the columns this kind adds to its list.
    static var listHeaders: [String] { get }

    /// The cells of those columns for one item.
    static func listCells(_ item: CatalogItem<Self>) -> [String]
}

extension ProductDetails: ListedCatalogDetails {
    static var listHeaders: [String] { ["ARTIFACT", "DOWNLOAD URL"] }

    static func listCells(_ product: Product) -> [String] {
        [product.artifact.map { "\($0.filename) (\($0.size) bytes)" } ?? "-", product.downloadUrl ?? "-"]
    }
}

extension ToolDetails: ListedCatalogDetails {
    static var listHeaders: [String] { ["TIMEOUT", "RUN COMMAND"] }

    static func listCells(_ tool: Tool) -> [String] { [Format.duration(seconds: tool.defaultTimeoutS), tool.runCommand] }
}

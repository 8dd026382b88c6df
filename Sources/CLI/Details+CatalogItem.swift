import WireProtocol

extension Details {
    /// Where agents get a product or tool: its download and its uploaded artifact.
    mutating func addSources<ItemDetails>(of item: CatalogItem<ItemDetails>) {
        add("download url", item.downloadUrl)
        add("download sha256", item.downloadSha256)
        add("artifact", item.artifact.map { "\($0.filename), \($0.size) bytes, sha256 \($0.sha256)" })
    }
}

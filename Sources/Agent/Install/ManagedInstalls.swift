import Foundation
import Synchronization
import WireProtocol

/// What the agent installed itself for install jobs, kept in `<data dir>/managed.json` and reported with the
/// inventory from the config file.
final class ManagedInstalls: Sendable {
    let file: URL
    private let lock = Mutex(())

    init(dataDirectory: URL) {
        file = dataDirectory.appendingPathComponent("managed.json")
    }

    /// Products with their tools; `managed` on a product says whether the product itself was installed here.
    func load() -> [InventoryProduct] {
        guard let data = try? Data(contentsOf: file) else { return [] }
        return (try? WireJSON.decoder().decode([InventoryProduct].self, from: data)) ?? []
    }

    private func save(_ products: [InventoryProduct]) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try WireJSON.encoder().encode(products).write(to: file, options: .atomic)
    }

    /// Records an install: the product (when installed here) and tools under it.
    func recordInstall(product: InventoryProduct, productInstalledHere: Bool, tools: [InventoryTool]) throws {
        try lock.withLock { _ in
            var products = load()
            let index = products.firstIndex { $0.name == product.name && $0.version == product.version }
            var entry =
                index.map { products[$0] }
                ?? InventoryProduct(name: product.name, version: product.version, path: product.path, tools: [], managed: false)
            if productInstalledHere {
                entry.path = product.path
                entry.managed = true
            }
            for tool in tools {
                entry.tools.removeAll { $0.name == tool.name && $0.version == tool.version }
                entry.tools.append(InventoryTool(name: tool.name, version: tool.version, path: tool.path, managed: true))
            }
            if let index { products[index] = entry } else { products.append(entry) }
            try save(products)
        }
    }

    /// Records an uninstall of tools, or of the product with all its tools.
    func recordUninstall(productName: String, version: String, tools: [(name: String, version: String)], wholeProduct: Bool) throws {
        try lock.withLock { _ in
            var products = load()
            guard let index = products.firstIndex(where: { $0.name == productName && $0.version == version }) else { return }
            if wholeProduct {
                products.remove(at: index)
            } else {
                products[index].tools.removeAll { tool in tools.contains { $0.name == tool.name && $0.version == tool.version } }
                if products[index].tools.isEmpty && products[index].managed != true { products.remove(at: index) }
            }
            try save(products)
        }
    }

    /// The config file's inventory with what the agent installed merged in.
    static func merge(config: [InventoryProduct], managed: [InventoryProduct]) -> [InventoryProduct] {
        var merged = config
        for entry in managed {
            if let index = merged.firstIndex(where: { $0.name == entry.name && $0.version == entry.version }) {
                let listed = Set(merged[index].tools.map { "\($0.name)\u{1}\($0.version)" })
                merged[index].tools += entry.tools.filter { !listed.contains("\($0.name)\u{1}\($0.version)") }
            } else if entry.managed == true {
                merged.append(entry)
            }
        }
        return merged
    }
}

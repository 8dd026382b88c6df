import Synchronization

/// Per node, the product/tool pairs it can run: read from the database once and kept until a notification
/// says the node or the catalog changed.
final class NodeCapabilities: Sendable {
    private let cache = Mutex<[Int64: Set<WorkKey>]>([:])
    private let load: @Sendable (Int64) async throws -> Set<WorkKey>

    init(load: @escaping @Sendable (Int64) async throws -> Set<WorkKey>) {
        self.load = load
    }

    func capabilities(of node: Int64) async throws -> Set<WorkKey> {
        if let known = cache.withLock({ $0[node] }) { return known }
        let loaded = try await load(node)
        cache.withLock { $0[node] = loaded }
        return loaded
    }

    func forget(node: Int64) {
        _ = cache.withLock { $0.removeValue(forKey: node) }
    }

    func forgetAll() {
        cache.withLock { $0.removeAll() }
    }
}

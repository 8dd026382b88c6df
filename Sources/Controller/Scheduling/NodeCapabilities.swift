/// Per node, the product/tool pairs it can run: read from the database and kept until a notification says the
/// node or the catalog changed, or for at most `ttl`. A read that a forget overtook is not kept, and while
/// notifications cannot arrive nothing is kept (see ``ReadCache``).
final class NodeCapabilities: Sendable {
    private let cache: ReadCache<Int64, Set<WorkKey>>
    private let load: @Sendable (Int64) async throws -> Set<WorkKey>

    init(ttl: Duration = .seconds(300), load: @escaping @Sendable (Int64) async throws -> Set<WorkKey>) {
        cache = ReadCache(ttl: ttl)
        self.load = load
    }

    func capabilities(of node: Int64) async throws -> Set<WorkKey> {
        if let known = cache.value(node) { return known }
        let generation = cache.generation
        let loaded = try await load(node)
        cache.remember(loaded, under: [node], asOf: generation)
        return loaded
    }

    func forget(node: Int64) { cache.forget(node) }

    func forgetAll() { cache.forgetAll() }

    func suspend() { cache.suspend() }

    func resume() { cache.resume() }
}

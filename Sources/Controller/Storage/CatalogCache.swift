import Synchronization
import WireProtocol

/// Products and tools this controller has recently resolved for submissions, by id and by name and version,
/// so a submission needs no round trip to find them. Every change to a product or tool notifies every
/// controller, which then forgets them all; entries also expire after `ttl`.
final class CatalogCache: Sendable {
    enum Key: Hashable, Sendable {
        case id(CatalogRepository.Kind, Int64)
        case name(CatalogRepository.Kind, String, version: String)
    }

    enum Item: Sendable {
        case product(Product)
        case tool(Tool)
    }

    private struct State {
        var items: [Key: (item: Item, cachedAt: ContinuousClock.Instant)] = [:]
        /// Bumped by every forget; an answer read before a forget is not kept.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    let ttl: Duration

    init(ttl: Duration = .seconds(300)) {
        self.ttl = ttl
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    func item(_ key: Key) -> Item? {
        state.withLock { state in
            guard let entry = state.items[key] else { return nil }
            guard ContinuousClock.now - entry.cachedAt < ttl else {
                state.items[key] = nil
                return nil
            }
            return entry.item
        }
    }

    /// Keeps what a lookup begun at `generation` found, under its id and its name, unless the catalog changed
    /// meanwhile.
    func remember(_ item: Item, asOf generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            let now = ContinuousClock.now
            switch item {
            case .product(let product):
                state.items[.id(.product, product.id)] = (item, now)
                state.items[.name(.product, product.name, version: product.version)] = (item, now)
            case .tool(let tool):
                state.items[.id(.tool, tool.id)] = (item, now)
                state.items[.name(.tool, tool.name, version: tool.version)] = (item, now)
            }
        }
    }

    func forgetAll() {
        state.withLock { state in
            state.generation += 1
            state.items.removeAll()
        }
    }
}

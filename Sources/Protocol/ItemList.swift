/// A list that is not paged: `{"items": [...]}` (a product's tools, for one).
public struct ItemList<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]

    public init(items: [Item]) { self.items = items }
}

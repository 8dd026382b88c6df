/// What only one kind of catalog item has (a tool's run command, say). The type stands for its kind: generic
/// code over products and tools takes it as its parameter.
public protocol CatalogItemDetails: Codable, Sendable, Equatable {
    /// What an admin gives for these details when creating or editing an item.
    associatedtype Input: Codable, Sendable

    static var kind: CatalogKind { get }
}

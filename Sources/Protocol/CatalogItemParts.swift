/// A catalog item, or the input that creates one, made of the fields every kind has and the details of its
/// own kind. On the wire both sit side by side in one flat object; in code they read as the item's own
/// properties (`tool.name`, `tool.runCommand`).
@dynamicMemberLookup
public protocol CatalogItemParts {
    /// What only this kind has: an item's details, or the input for them.
    associatedtype DetailFields

    var fields: CatalogItemFields { get set }
    var details: DetailFields { get set }
}

extension CatalogItemParts {
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<CatalogItemFields, Value>) -> Value {
        get { fields[keyPath: keyPath] }
        set { fields[keyPath: keyPath] = newValue }
    }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<DetailFields, Value>) -> Value {
        get { details[keyPath: keyPath] }
        set { details[keyPath: keyPath] = newValue }
    }
}

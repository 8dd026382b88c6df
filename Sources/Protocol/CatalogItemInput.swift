/// Body of `POST /api/v1/products` and `PUT /api/v1/products/{id}`, and of the same for tools: the fields
/// every kind has and what its own kind asks for.
public struct CatalogItemInput<Details: CatalogItemDetails>: CatalogItemParts, Codable, Sendable {
    public var fields: CatalogItemFields
    public var details: Details.Input

    public init(_ fields: CatalogItemFields, details: Details.Input) {
        self.fields = fields
        self.details = details
    }

    public init(from decoder: any Decoder) throws {
        fields = try CatalogItemFields(from: decoder)
        details = try Details.Input(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try fields.encode(to: encoder)
        try details.encode(to: encoder)
    }
}

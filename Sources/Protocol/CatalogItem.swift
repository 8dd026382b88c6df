import Foundation

/// A product or tool in the catalog: the fields every kind has, the `Details` of its own kind, and what the
/// controller adds (its id, its uploaded artifact, when it changed).
public struct CatalogItem<Details: CatalogItemDetails>: CatalogItemParts, Codable, Sendable, Equatable {
    public var id: Int64
    public var fields: CatalogItemFields
    public var details: Details
    public var artifact: Artifact?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64, fields: CatalogItemFields, details: Details, artifact: Artifact?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.fields = fields
        self.details = details
        self.artifact = artifact
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, artifact, createdAt, updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        fields = try CatalogItemFields(from: decoder)
        details = try Details(from: decoder)
        artifact = try container.decodeIfPresent(Artifact.self, forKey: .artifact)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try fields.encode(to: encoder)
        try details.encode(to: encoder)
        try container.encodeIfPresent(artifact, forKey: .artifact)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

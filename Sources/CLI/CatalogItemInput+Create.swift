import ControllerClient
import WireProtocol

extension CatalogItemInput {
    /// Creates the product or tool this input describes and says which it is.
    func create(_ connection: ConnectionOptions) async throws {
        let created = try await connection.withClient { client in
            try await client.call(.POST, "/api/v1/\(Details.kind.plural)", body: self, as: CatalogItem<Details>.self)
        }
        Console.out("\(Details.kind.rawValue) \(created.id) created: \(created.name)@\(created.version)")
    }
}

import ArgumentParser
import ControllerClient
import WireProtocol

/// `testfleet product list` and `testfleet tool list`.
struct CatalogListCommand<ItemDetails: ListedCatalogDetails>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List \(ItemDetails.kind.plural).")
    }

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only \(ItemDetails.kind.plural) of this name.") var name: String?
    @Option(help: "At most this many.") var limit = 200

    func run() async throws {
        let items = try await connection.withClient { client in
            try await client.list(
                "/api/v1/\(ItemDetails.kind.plural)",
                query: name.map { ["name": $0] } ?? [:],
                limit: limit,
                as: CatalogItem<ItemDetails>.self
            )
        }
        try output.emit(items) { items in
            var table = Table(header: ["ID", "NAME", "VERSION"] + ItemDetails.listHeaders)
            for item in items {
                table.rows.append([String(item.id), item.name, item.version] + ItemDetails.listCells(item))
            }
            return table.render()
        }
    }
}

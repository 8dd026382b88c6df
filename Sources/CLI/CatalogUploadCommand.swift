import ArgumentParser
import WireProtocol

/// `testfleet product upload` and `testfleet tool upload`.
struct CatalogUploadCommand<ItemDetails: CatalogItemDetails>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "upload", abstract: "Upload a \(ItemDetails.kind.rawValue)'s artifact (admins); streamed, any size.")
    }

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The \(ItemDetails.kind.rawValue)'s id.") var id: Int64
    @Argument(help: "The file to upload.") var file: String

    func run() async throws {
        try await ItemDetails.kind.upload(id: id, file: file, connection)
    }
}

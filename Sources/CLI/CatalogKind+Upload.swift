import ControllerClient
import Foundation
import WireProtocol

extension CatalogKind {
    /// Streams `file` as the item's artifact and says what arrived.
    func upload(id: Int64, file: String, _ connection: ConnectionOptions) async throws {
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw CLIError.usage("no file \(file)") }
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let name = url.lastPathComponent.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "artifact"
        let artifact = try await connection.withClient { client in
            let answer = try await client.upload(.POST, "/api/v1/\(plural)/\(id)/artifact?filename=\(name)", file: url)
            guard answer.status == 201 else { throw ClientError(answer: answer) }
            return try WireJSON.decoder().decode(Artifact.self, from: answer.body)
        }
        Console.out("uploaded \(artifact.filename) to \(rawValue) \(id): \(artifact.size) bytes, sha256 \(artifact.sha256)")
    }

}

import Foundation

/// A product or tool an install job handles, with where to get it.
public struct InstallItem: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case product, tool
    }

    public var kind: Kind
    public var id: Int64
    public var name: String
    public var version: String
    public var downloadUrl: String?
    /// The SHA-256 (hex) the download from `downloadUrl` must have, when the catalog gives one.
    public var downloadSha256: String?
    /// The uploaded artifact, downloadable from the controller with the node credential.
    public var artifact: Artifact?
    public var installScript: String?

    public init(
        kind: Kind,
        id: Int64,
        name: String,
        version: String,
        downloadUrl: String?,
        downloadSha256: String? = nil,
        artifact: Artifact?,
        installScript: String?
    ) {
        self.kind = kind
        self.id = id
        self.name = name
        self.version = version
        self.downloadUrl = downloadUrl
        self.downloadSha256 = downloadSha256
        self.artifact = artifact
        self.installScript = installScript
    }

    /// Where the controller serves the uploaded artifact.
    public var artifactPath: String { "/api/v1/\(kind == .product ? "products" : "tools")/\(id)/artifact" }
}

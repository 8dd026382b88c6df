/// What an admin gives every catalog item, whatever its kind: its name and version, and where agents get it.
public struct CatalogItemFields: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var downloadUrl: String?
    /// The SHA-256 (hex) a download from `downloadUrl` must have; agents refuse anything else.
    public var downloadSha256: String?
    public var installScript: String?

    public init(name: String, version: String, downloadUrl: String? = nil, downloadSha256: String? = nil, installScript: String? = nil) {
        self.name = name
        self.version = version
        self.downloadUrl = downloadUrl
        self.downloadSha256 = downloadSha256
        self.installScript = installScript
    }
}

/// A test tool: what runs a product's cases.
public typealias Tool = CatalogItem<ToolDetails>

/// Body of `POST /api/v1/tools` and `PUT /api/v1/tools/{id}`.
public typealias ToolInput = CatalogItemInput<ToolDetails>

/// What only tools have: how a case is run, and for how long at most by default.
public struct ToolDetails: CatalogItemDetails {
    /// The tool's details as an admin gives them; a missing timeout is 600 s on creation and unchanged on edit.
    public struct Input: Codable, Sendable {
        public var runCommand: String
        public var defaultTimeoutS: Int?

        public init(runCommand: String, defaultTimeoutS: Int? = nil) {
            self.runCommand = runCommand
            self.defaultTimeoutS = defaultTimeoutS
        }
    }

    public static var kind: CatalogKind { .tool }

    public var runCommand: String
    public var defaultTimeoutS: Int

    public init(runCommand: String, defaultTimeoutS: Int) {
        self.runCommand = runCommand
        self.defaultTimeoutS = defaultTimeoutS
    }
}

extension CatalogItemInput where Details == ToolDetails {
    public init(
        name: String,
        version: String,
        runCommand: String,
        defaultTimeoutS: Int? = nil,
        downloadUrl: String? = nil,
        downloadSha256: String? = nil,
        installScript: String? = nil
    ) {
        self.init(
            CatalogItemFields(name: name, version: version, downloadUrl: downloadUrl, downloadSha256: downloadSha256, installScript: installScript),
            details: ToolDetails.Input(runCommand: runCommand, defaultTimeoutS: defaultTimeoutS)
        )
    }
}

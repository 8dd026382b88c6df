import Foundation

/// Body of `POST /api/v1/nodes/{id}/environment`.
public struct EnvironmentChange: Codable, Sendable {
    public enum Action: String, Codable, Sendable {
        case install, uninstall
    }

    public var productId: Int64
    /// Tools of the product to install or remove; empty with `uninstall` removes the product and its tools.
    public var toolIds: [Int64]
    public var action: Action

    public init(productId: Int64, toolIds: [Int64], action: Action) {
        self.productId = productId
        self.toolIds = toolIds
        self.action = action
    }
}

public enum InstallJobState: String, Codable, Sendable {
    case queued, leased, running, succeeded, failed, cancelled

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

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

/// An install job as the API shows it.
public struct InstallJob: Codable, Sendable {
    public var id: Int64
    public var node: NodeSummary
    public var action: EnvironmentChange.Action
    public var product: ItemSummary
    public var tools: [ItemSummary]
    public var state: InstallJobState
    public var message: String?
    public var log: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(
        id: Int64,
        node: NodeSummary,
        action: EnvironmentChange.Action,
        product: ItemSummary,
        tools: [ItemSummary],
        state: InstallJobState,
        message: String?,
        log: String?,
        createdAt: Date,
        startedAt: Date?,
        finishedAt: Date?
    ) {
        self.id = id
        self.node = node
        self.action = action
        self.product = product
        self.tools = tools
        self.state = state
        self.message = message
        self.log = log
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// An install job handed to an agent through the lease endpoint (`kind: "install"`).
public struct InstallAssignment: Codable, Sendable, Equatable {
    public var jobId: Int64
    public var token: Int64
    public var expiresAt: Date
    public var heartbeatIntervalS: Int
    public var action: EnvironmentChange.Action
    /// The product; installed (or removed) too when `withProduct`.
    public var product: InstallItem
    public var withProduct: Bool
    public var tools: [InstallItem]
    /// Install paths the node has now, for uninstalling: `product`, and `tool:<name>:<version>`.
    public var installedPaths: [String: String]

    public init(
        jobId: Int64,
        token: Int64,
        expiresAt: Date,
        heartbeatIntervalS: Int,
        action: EnvironmentChange.Action,
        product: InstallItem,
        withProduct: Bool,
        tools: [InstallItem],
        installedPaths: [String: String]
    ) {
        self.jobId = jobId
        self.token = token
        self.expiresAt = expiresAt
        self.heartbeatIntervalS = heartbeatIntervalS
        self.action = action
        self.product = product
        self.withProduct = withProduct
        self.tools = tools
        self.installedPaths = installedPaths
    }
}

/// What the lease endpoint answers with: a case to run, or an install job.
public enum Assignment: Sendable, Equatable {
    case run(Lease)
    case install(InstallAssignment)
}

extension Assignment: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, install
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decodeIfPresent(String.self, forKey: .kind) ?? "case" {
        case "install": self = .install(try container.decode(InstallAssignment.self, forKey: .install))
        default: self = .run(try Lease(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .run(let lease):
            try container.encode("case", forKey: .kind)
            try lease.encode(to: encoder)
        case .install(let job):
            try container.encode("install", forKey: .kind)
            try container.encode(job, forKey: .install)
        }
    }
}

/// Body of `POST /api/v1/agent/install-jobs/{id}/result`.
public struct InstallResult: Codable, Sendable {
    public var token: Int64
    public var succeeded: Bool
    public var message: String?
    /// Where each item ended up: `product`, and `tool:<name>:<version>`.
    public var paths: [String: String]

    public init(token: Int64, succeeded: Bool, message: String?, paths: [String: String]) {
        self.token = token
        self.succeeded = succeeded
        self.message = message
        self.paths = paths
    }

    public static func toolKey(name: String, version: String) -> String { "tool:\(name):\(version)" }
}

/// Body of `POST /api/v1/agent/install-jobs/{id}/log` (appended text) and heartbeats.
public struct InstallProgress: Codable, Sendable {
    public var token: Int64
    public var log: String

    public init(token: Int64, log: String) {
        self.token = token
        self.log = log
    }
}

/// What is installed on a node and the environment work done there: `GET /api/v1/nodes/{id}/environment`.
public struct NodeEnvironment: Codable, Sendable {
    public var products: [NodeProduct]
    public var jobs: [InstallJob]

    public init(products: [NodeProduct], jobs: [InstallJob]) {
        self.products = products
        self.jobs = jobs
    }
}

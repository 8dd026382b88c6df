import Foundation

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

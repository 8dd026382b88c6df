import Foundation

public struct NodeProduct: Codable, Sendable, Equatable {
    public var productId: Int64?
    public var name: String
    public var version: String
    public var installPath: String
    public var state: InstallState
    public var source: InstallSource
    public var tools: [NodeTool]

    public init(
        productId: Int64?,
        name: String,
        version: String,
        installPath: String,
        state: InstallState,
        source: InstallSource,
        tools: [NodeTool]
    ) {
        self.productId = productId
        self.name = name
        self.version = version
        self.installPath = installPath
        self.state = state
        self.source = source
        self.tools = tools
    }
}

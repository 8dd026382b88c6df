import Foundation

public struct NodeTool: Codable, Sendable, Equatable {
    public var toolId: Int64?
    public var name: String
    public var version: String
    public var installPath: String
    public var state: InstallState
    public var source: InstallSource

    public init(
        toolId: Int64?,
        name: String,
        version: String,
        installPath: String,
        state: InstallState,
        source: InstallSource
    ) {
        self.toolId = toolId
        self.name = name
        self.version = version
        self.installPath = installPath
        self.state = state
        self.source = source
    }
}

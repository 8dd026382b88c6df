import WireProtocol

/// What a node reports of a product or a tool installed on it: the node's page shows both alike.
protocol InstalledOnNode {
    var name: String { get }
    var version: String { get }
    var installPath: String { get }
    var state: InstallState { get }
    var source: InstallSource { get }
}

extension NodeProduct: InstalledOnNode {}

extension NodeTool: InstalledOnNode {}

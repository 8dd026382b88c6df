import Foundation
import WireProtocol

/// A tool with what only tools have.
struct ToolView: Sendable {
    var item: CatalogItemView
    var runCommand: String
    var defaultTimeout: String
    var defaultTimeoutS: Int

    init(_ tool: Tool) {
        item = CatalogItemView(tool)
        runCommand = tool.runCommand
        defaultTimeout = WebFormat.duration(Int64(tool.defaultTimeoutS) * 1000)
        defaultTimeoutS = tool.defaultTimeoutS
    }
}

import Foundation

/// A stored artifact (uploaded file) of a product or tool.
public struct Artifact: Codable, Sendable, Equatable {
    public var filename: String
    public var size: Int64
    public var sha256: String

    public init(filename: String, size: Int64, sha256: String) {
        self.filename = filename
        self.size = size
        self.sha256 = sha256
    }
}

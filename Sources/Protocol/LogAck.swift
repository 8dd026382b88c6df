import Foundation

/// Answer to a log chunk.
public struct LogAck: Codable, Sendable {
    /// The end of the log the controller holds: send the next chunk from here.
    public var offset: Int64

    public init(offset: Int64) { self.offset = offset }
}

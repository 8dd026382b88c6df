import Foundation

/// Output that travels with a result: the bytes of the log from `offset` to its end.
public struct LogTail: Codable, Sendable, Equatable {
    public var offset: Int64
    public var data: Data

    public init(offset: Int64, data: Data) {
        self.offset = offset
        self.data = data
    }
}

import Foundation

/// A process that could not be started, with the reason.
public struct SpawnError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    init(code: Int32, _ what: String) {
        self.description = "\(what): \(String(cString: strerror(code)))"
    }
}

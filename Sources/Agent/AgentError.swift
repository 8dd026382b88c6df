import AsyncSupport
import Foundation
import Synchronization

/// An error with a message for the operator.
struct AgentError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

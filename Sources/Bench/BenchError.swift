import ControllerClient
import Foundation
import Synchronization
import WireProtocol

struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

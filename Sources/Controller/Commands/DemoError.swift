import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// Why the demo stopped, for the person who ran it.
struct DemoError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

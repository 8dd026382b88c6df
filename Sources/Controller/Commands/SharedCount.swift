import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Synchronization
import WireProtocol

/// A count shared between concurrent workers.
final class SharedCount: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    func add(_ delta: Int) { count.withLock { $0 += delta } }
}

import ControllerClient
import Foundation
import Synchronization
import WireProtocol

final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    /// Adds `delta` and returns the new count.
    @discardableResult func add(_ delta: Int) -> Int {
        count.withLock {
            $0 += delta
            return $0
        }
    }
}

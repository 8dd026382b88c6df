import ControllerClient
import Foundation
import Synchronization
import WireProtocol

final class Box<Value: Sendable>: Sendable {
    private let stored = Mutex<Value?>(nil)
    var value: Value? { stored.withLock { $0 } }
    func setOnce(_ value: Value) { stored.withLock { if $0 == nil { $0 = value } } }
}

import Synchronization

/// An event that happens at most once, with a value; any number of tasks can wait for it or observe it.
public final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var nextID = 0
        var observers: [Int: @Sendable (Value) -> Void] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var value: Value? { state.withLock { $0.value } }

    /// Sets the value and tells the observers; later calls change nothing. Returns whether this call set it.
    @discardableResult
    public func fire(_ value: Value) -> Bool {
        let observers: [@Sendable (Value) -> Void]? = state.withLock { state in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.observers = [:] }
            return Array(state.observers.values)
        }
        guard let observers else { return false }
        for observer in observers { observer(value) }
        return true
    }

    /// Calls `action` when fired (at once if it already was); returns a handle for ``removeObserver(_:)``.
    @discardableResult
    public func observe(_ action: @escaping @Sendable (Value) -> Void) -> Int {
        let (id, now): (Int, Value?) = state.withLock { state in
            if let value = state.value { return (-1, value) }
            state.nextID += 1
            state.observers[state.nextID] = action
            return (state.nextID, nil)
        }
        if let now { action(now) }
        return id
    }

    public func removeObserver(_ id: Int) {
        _ = state.withLock { $0.observers.removeValue(forKey: id) }
    }

    /// The value, once fired. Not cancellable: race it against something that ends.
    public func wait() async -> Value {
        await withCheckedContinuation { continuation in
            observe { continuation.resume(returning: $0) }
        }
    }
}

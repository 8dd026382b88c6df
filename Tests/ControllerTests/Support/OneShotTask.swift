import Synchronization

/// Runs an async job once; every caller gets its result.
final class OneShotTask<T: Sendable>: Sendable {
    private let task = Synchronization.Mutex<Task<T, any Error>?>(nil)

    func run(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let running = task.withLock { task in
            if let task { return task }
            let created = Task { try await body() }
            task = created
            return created
        }
        return try await running.value
    }
}

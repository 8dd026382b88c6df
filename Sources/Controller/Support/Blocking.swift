import Foundation

/// Runs blocking work (waiting for a process, `initdb`, `pg_ctl`) on a thread of its own, so the few threads
/// that run Swift concurrency stay free for the server meanwhile.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }
}

// Waiting for work that may never end: a database driver that loses a reply, a pipe nobody closes.
// The work keeps running after the wait gives up; it is cancelled but not awaited.

/// Whether `operation` finished within `limit`.
public func finishes(_ operation: @escaping @Sendable () async -> Void, within limit: Duration) async -> Bool {
    let result = OneShot<Bool>()
    Task {
        await operation()
        result.fire(true)
    }
    let timer = Task {
        if (try? await Task.sleep(for: limit)) != nil { result.fire(false) }
    }
    let value = await result.wait()
    timer.cancel()
    return value
}

/// The time given to an operation ran out.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var operation: String
    public var limit: Duration

    public var description: String { "\(operation) did not finish within \(limit)" }
}

/// The result of `operation`, or ``DeadlineExceeded`` once `limit` passes without one; cancelling the
/// caller cancels the operation and stops waiting for it at once.
@discardableResult
public func withDeadline<T: Sendable>(
    _ limit: Duration,
    _ operation: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = OneShot<Result<T, any Error>>()
    let work = Task {
        do {
            outcome.fire(.success(try await body()))
        } catch {
            outcome.fire(.failure(error))
        }
    }
    let timer = Task {
        if (try? await Task.sleep(for: limit)) != nil {
            outcome.fire(.failure(DeadlineExceeded(operation: operation, limit: limit)))
        }
    }
    let result = await withTaskCancellationHandler {
        await outcome.wait()
    } onCancel: {
        outcome.fire(.failure(CancellationError()))
    }
    timer.cancel()
    if case .failure = result { work.cancel() }
    return try result.get()
}

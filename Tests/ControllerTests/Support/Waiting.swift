import Foundation

/// Waits until `probe` finds what it looks for and returns it, looking `every` so often, for at most `timeout`
/// seconds: by default long enough for a machine loaded by the whole suite, since a wait that succeeds ends at
/// once. The one place where tests wait on time: everything else waits for something it can observe.
func waitFor<T>(
    _ what: String,
    timeout: Double = 30,
    every interval: Duration = .milliseconds(20),
    _ probe: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
    while true {
        if let found = try await probe() { return found }
        guard ContinuousClock.now < deadline else { throw TestFailure("\(what): not within \(timeout) s") }
        try await Task.sleep(for: interval)
    }
}

/// Waits until `condition` holds, checking `every` so often, for at most `timeout` seconds.
func waitUntil(
    _ what: String,
    timeout: Double = 30,
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    _ = try await waitFor(what, timeout: timeout, every: interval) { try await condition() ? true : nil }
}

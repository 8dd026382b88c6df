import Foundation

/// Waits until `condition` holds, checking every 20 ms, for at most `timeout` seconds.
func waitUntil(
    _ what: String,
    timeout: Double = 10,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("\(what): not within \(timeout) s")
}

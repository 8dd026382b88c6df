import ControllerClient
import Foundation
import Logging
import WireProtocol

/// Ships a case's output from its spool file to the controller in order: a chunk when 64 KiB are waiting
/// or a quarter second has passed, resending from wherever the controller says its copy ends.
final class LogShipper: Sendable {
    static let chunkBytes = 64 * 1024

    enum Ending: Sendable, Equatable {
        /// Everything up to the end of the output reached the controller.
        case delivered
        /// The controller no longer takes logs for this lease.
        case refused(String)
    }

    private let client: AgentClient
    private let lease: Lease
    private let entry: SpoolEntry
    private let logger: Logger

    init(client: AgentClient, lease: Lease, entry: SpoolEntry, logger: Logger) {
        self.client = client
        self.lease = lease
        self.entry = entry
        self.logger = logger
    }

    /// Ships until `outputComplete` returns true and all of it was delivered.
    func run(outputComplete: @Sendable () -> Bool) async -> Ending {
        var sent: Int64 = 0
        var chunk = Self.chunkBytes
        var backoff = Backoff()
        var lastPost = ContinuousClock.now
        while true {
            let complete = outputComplete()
            let available = entry.outputSize
            if available <= sent {
                if complete { return .delivered }
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            let waiting = available - sent
            if !complete && waiting < Int64(chunk) && ContinuousClock.now - lastPost < .milliseconds(250) {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            do {
                let bytes = try entry.readOutput(from: sent, count: chunk)
                sent = try await client.appendLog(lease, offset: sent, bytes: bytes)
                lastPost = ContinuousClock.now
                backoff.reset()
            } catch let error as ClientError {
                switch error.status {
                case 409 where error.offset != nil:
                    sent = error.offset!
                case 413:
                    chunk = max(1024, chunk / 2)
                case 403, 404, 409:
                    return .refused(error.message)
                default:
                    logger.warning("log delivery failed; retrying: \(error)")
                    try? await Task.sleep(for: backoff.next())
                }
            } catch {
                logger.warning("cannot read the spooled output: \(error)")
                try? await Task.sleep(for: backoff.next())
            }
        }
    }
}

/// Exponential backoff with jitter, from 100 ms to 5 s.
struct Backoff: Sendable {
    var attempt = 0
    var base = Duration.milliseconds(100)
    var limit = Duration.seconds(5)

    mutating func next() -> Duration {
        attempt += 1
        let exponent = min(attempt - 1, 10)
        let ceiling = min(base * (1 << exponent), limit)
        let millis = Double(ceiling.components.seconds) * 1000 + Double(ceiling.components.attoseconds) / 1e15
        return .milliseconds(Int64(Double.random(in: (millis / 2)...millis)))
    }

    mutating func reset() { attempt = 0 }
}

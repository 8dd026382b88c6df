import AsyncSupport
import ControllerClient
import Foundation
import Logging
import WireProtocol

/// Ships a case's output from its spool file to the controller in order, resending from wherever the controller
/// says its copy ends. Nothing waits on a timer for output that is complete: while the case runs, a chunk goes out
/// as soon as 64 KiB wait or the oldest unsent byte is a quarter second old; once the output is complete, what is
/// left goes at once — or stays for the result to carry, when it is small.
final class LogShipper: Sendable {
    static let chunkBytes = 64 * 1024
    /// The longest unsent output waits while the case runs.
    static let maxAge = Duration.milliseconds(250)

    enum Ending: Sendable, Equatable {
        /// The controller holds the output up to `offset`; the rest (at most what the caller let stay) is not sent.
        case delivered(offset: Int64)
        /// The controller no longer takes logs for this lease.
        case refused(String)
    }

    private let client: AgentClient
    private let lease: Lease
    private let entry: SpoolEntry
    private let logger: Logger
    /// Rung when output arrives or the case ends.
    let bell: Doorbell

    init(client: AgentClient, lease: Lease, entry: SpoolEntry, logger: Logger, bell: Doorbell = Doorbell()) {
        self.client = client
        self.lease = lease
        self.entry = entry
        self.logger = logger
        self.bell = bell
    }

    /// Ships from `offset` until `outputComplete` returns true and everything but the last `keep` bytes at most
    /// reached the controller. Waits only for output or for the ring that says the output is complete.
    func run(from offset: Int64 = 0, keep: Int = 0, outputComplete: @Sendable () -> Bool) async -> Ending {
        var sent = offset
        var chunk = Self.chunkBytes
        var backoff = Backoff()
        var oldestUnsent: ContinuousClock.Instant?
        while true {
            // Read before the size: once complete, the size read after it is final.
            let complete = outputComplete()
            let waiting = entry.outputSize - sent
            if complete {
                if waiting <= Int64(keep) { return .delivered(offset: sent) }
            } else if waiting <= 0 {
                oldestUnsent = nil
                await bell.wait()
                continue
            } else {
                let since = oldestUnsent ?? .now
                oldestUnsent = since
                if waiting < Int64(chunk) && ContinuousClock.now - since < Self.maxAge {
                    await bell.wait(until: since + Self.maxAge)
                    continue
                }
            }
            do {
                let bytes = try entry.readOutput(from: sent, count: chunk)
                sent = try await client.appendLog(lease, offset: sent, bytes: bytes)
                oldestUnsent = entry.outputSize > sent ? .now : nil
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

import Foundation
import Logging
import NIOCore
import PostgresNIO
import WireProtocol

/// Case logs: chunks at byte offsets per run. Appends are idempotent; a run's stored log is capped, keeping
/// its head and its tail.
struct LogStore: Sendable {
    let database: Database
    let maxBytesPerRun: Int64

    /// Where an append lands, decided from the controller's end of the log.
    enum Placement: Equatable {
        /// Store `bytes[skip...]` at `at`.
        case append(skip: Int, at: Int64)
        /// Everything was stored before.
        case duplicate
        /// The chunk starts past the end: the agent must resend from `end`.
        case gap(end: Int64)

        static func decide(offset: Int64, length: Int, end: Int64) -> Placement {
            if offset > end { return .gap(end: end) }
            if offset + Int64(length) <= end { return .duplicate }
            return .append(skip: Int(end - offset), at: end)
        }
    }

    /// Appends a chunk posted by the node holding the lease; returns the new end of the log.
    func append(runID: UUID, nodeID: Int64, token: Int64, offset: Int64, bytes: ByteBuffer) async throws -> Int64 {
        guard offset >= 0 else { throw StoreError.invalid("offset: must not be negative") }
        for _ in 0..<5 {
            guard
                let row = try await database.query(
                    "SELECT node_id, lease_token, log_bytes FROM case_runs WHERE id = \(runID)"
                ).first()
            else { throw StoreError.notFound("no lease \(runID)") }
            let (owner, actualToken, end) = try row.decode((Int64, Int64, Int64).self)
            // A log may still arrive after its result: the agent ships it first, but a redelivery may not.
            if let refusal = LeaseCheck.refusal(
                runID: runID,
                nodeID: nodeID,
                token: token,
                owner: owner,
                actualToken: actualToken,
                outcome: nil
            ) {
                throw refusal
            }
            switch Placement.decide(offset: offset, length: bytes.readableBytes, end: end) {
            case .gap(let end):
                throw StoreError.conflict("log chunk at \(offset) leaves a gap: the log ends at \(end)", offset: end)
            case .duplicate:
                return end
            case .append(let skip, let at):
                var data = bytes
                data.moveReaderIndex(forwardBy: skip)
                let newEnd = at + Int64(data.readableBytes)
                let stored = try await database.query(
                    """
                    WITH moved AS (
                        UPDATE case_runs SET log_bytes = \(newEnd) WHERE id = \(runID) AND log_bytes = \(at) RETURNING id
                    )
                    INSERT INTO case_logs (run_id, byte_offset, data) SELECT id, \(at), \(data) FROM moved
                    RETURNING byte_offset
                    """
                ).collect(Int64.self)
                // Another append of the same run won the race: decide again against its end.
                guard !stored.isEmpty else { continue }
                database.metrics.logBytesIngested.increment(by: Double(data.readableBytes))
                if newEnd > maxBytesPerRun { try await trim(runID: runID, end: newEnd) }
                return newEnd
            }
        }
        throw StoreError.conflict("concurrent log appends for lease \(runID); retry")
    }

    /// Drops chunks between the kept head and the kept tail.
    private func trim(runID: UUID, end: Int64) async throws {
        let half = maxBytesPerRun / 2
        try await database.query(
            """
            DELETE FROM case_logs WHERE run_id = \(runID) AND byte_offset >= \(half)
              AND byte_offset + length(data) <= \(end - half)
            """
        )
    }

    /// The log of a run from `offset`, with a marker where the middle was dropped; and the log's end.
    ///
    /// One statement reads the end and the chunks, so that both are of one moment: a chunk stored between two
    /// reads would be sent beyond the end given, and sent again by the next read from that end.
    func read(runID: UUID, from offset: Int64) async throws -> (text: ByteBuffer, end: Int64) {
        var out = ByteBuffer()
        var position = offset
        var end: Int64 = 0
        for try await (logBytes, chunkOffset, chunk) in try await database.query(
            """
            SELECT r.log_bytes, l.byte_offset, l.data
            FROM case_runs r
            LEFT JOIN case_logs l ON l.run_id = r.id AND l.byte_offset + length(l.data) > \(offset)
            WHERE r.id = \(runID)
            ORDER BY l.byte_offset
            """
        ).decode((Int64, Int64?, ByteBuffer?).self) {
            end = logBytes
            guard let chunkOffset, var data = chunk else { continue }
            let chunkEnd = chunkOffset + Int64(data.readableBytes)
            if chunkOffset > position {
                out.writeString("\n[… \(chunkOffset - position) bytes of log omitted …]\n")
            } else if chunkOffset < position {
                data.moveReaderIndex(forwardBy: Int(position - chunkOffset))
            }
            position = chunkEnd
            out.writeBuffer(&data)
        }
        return (out, end)
    }
}

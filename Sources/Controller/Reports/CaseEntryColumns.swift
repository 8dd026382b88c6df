import PostgresNIO
import WireProtocol

/// A case as reports list it, read from `cases k LEFT JOIN nodes n`: the stored report and the JUnit export
/// read their cases through it.
enum CaseEntryColumns {
    /// The columns ``entry(_:)`` reads, first in a row; a query may select more after them.
    static let sql = "k.id, k.name, k.state, n.id, n.name, k.attempts, k.duration_ms, k.exit_code, k.message"
    /// How many columns ``sql`` selects: where a query's own columns start.
    static let count = 9

    static func entry(_ columns: PostgresRandomAccessRow) throws -> TaskReport.CaseEntry {
        let id = try columns[0].decode(Int64.self)
        let node = try columns[3].decode(Int64?.self).flatMap { nodeID in
            try columns[4].decode(String?.self).map { NodeSummary(id: nodeID, name: $0) }
        }
        return TaskReport.CaseEntry(
            caseId: id,
            name: try columns[1].decode(String.self),
            state: CaseState(rawValue: try columns[2].decode(String.self)) ?? .error,
            node: node,
            attempts: try columns[5].decode(Int.self),
            durationMs: try columns[6].decode(Int64?.self),
            exitCode: try columns[7].decode(Int?.self),
            message: try columns[8].decode(String?.self),
            logUrl: ReportBuilder.logPath(caseID: id)
        )
    }
}

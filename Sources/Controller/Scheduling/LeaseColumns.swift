import Foundation
import PostgresNIO
import WireProtocol

/// What a lease is built from, as the lease statement and the lookup of an unclaimed lease read it: the case, its
/// task, the install paths on the node, the product and tool and the command. `l` is the leased case (`id`,
/// `name`, `task_id`, `attempts`, `product_path`, `tool_path`), `r` its run, `t`, `pr` and `tl` its task, product
/// and tool.
struct LeaseColumns: Sendable {
    static let sql = """
        l.id, l.name, l.task_id, l.attempts, r.lease_expires_at, l.product_path, l.tool_path, pr.name, pr.version,
        tl.name, tl.version, tl.run_command, t.case_timeout_s
        """

    var caseID: Int64
    var caseName: String
    var taskID: Int64
    var attempt: Int
    var expiresAt: Date
    var product: LeasedItem
    var tool: LeasedItem
    var runCommand: String
    var timeoutS: Int

    /// The columns from `first` on; `nil` when they are `NULL` (nothing was leased).
    init?(_ columns: PostgresRandomAccessRow, from first: Int) throws {
        guard let caseID = try columns[first].decode(Int64?.self) else { return nil }
        self.caseID = caseID
        caseName = try columns[first + 1].decode(String.self)
        taskID = try columns[first + 2].decode(Int64.self)
        attempt = try columns[first + 3].decode(Int.self)
        expiresAt = try columns[first + 4].decode(Date.self)
        let productPath = try columns[first + 5].decode(String.self)
        let toolPath = try columns[first + 6].decode(String.self)
        product = LeasedItem(
            name: try columns[first + 7].decode(String.self),
            version: try columns[first + 8].decode(String.self),
            path: productPath
        )
        tool = LeasedItem(
            name: try columns[first + 9].decode(String.self),
            version: try columns[first + 10].decode(String.self),
            path: toolPath
        )
        runCommand = try columns[first + 11].decode(String.self)
        timeoutS = try columns[first + 12].decode(Int.self)
    }
}

import Foundation
import WireProtocol

/// Whether a node may act on a lease: the one check behind heartbeats, log chunks and results.
enum LeaseCheck {
    /// The refusal for `nodeID` acting on run `runID` with `token`, given what is stored of the run; `nil` when
    /// the node holds the lease. With `open`, a run that has ended is refused too.
    static func refusal(
        runID: UUID,
        nodeID: Int64,
        token: Int64,
        owner: Int64,
        actualToken: Int64,
        outcome: String?,
        open: Bool = true
    ) -> StoreError? {
        if owner != nodeID { return .notPermitted("lease \(runID) belongs to another node") }
        if actualToken != token { return .conflict("stale fencing token for lease \(runID)") }
        guard open, let outcome else { return nil }
        if outcome == RunOutcome.lost.rawValue {
            return .conflict("lease \(runID) expired and the case was handed back to the queue")
        }
        return .conflict("lease \(runID) already ended as \(outcome)")
    }
}

import Foundation
import WireProtocol

/// An install job's page: what it changes, how it ended, its log.
struct InstallJobView: Sendable {
    var id: Int64
    var nodeID: Int64
    var nodeName: String
    var action: String
    var what: String
    var state: String
    var message: String?
    var log: String
    var created: String
    var finished: String

    init(_ job: InstallJob) {
        id = job.id
        nodeID = job.node.id
        nodeName = job.node.name
        action = job.action.rawValue
        what = ([job.product.name + " " + job.product.version] + job.tools.map { "\($0.name) \($0.version)" }).joined(separator: ", ")
        state = job.state.rawValue
        message = job.message
        log = job.log ?? ""
        created = WebFormat.time(job.createdAt)
        finished = WebFormat.time(job.finishedAt)
    }
}

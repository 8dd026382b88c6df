import Foundation
import WireProtocol

/// A task in a list: the dashboard's and the task list's rows.
struct TaskRow: Sendable {
    var id: Int64
    var name: String
    var product: String
    var tool: String
    var submittedBy: String
    var priority: Int
    var state: String
    var stateLabel: String
    var progress: ProgressView
    var created: TimeView
    var finished: String?
    /// The web report page, once the task has one.
    var reportHref: String?
    var passRate: String?
    /// The tests of the cases that reported tests, in a line.
    var tests: String?
    var testPassRate: String?

    init(_ task: TaskInfo) {
        id = task.id
        name = task.name
        product = "\(task.product.name) \(task.product.version)"
        tool = "\(task.tool.name) \(task.tool.version)"
        submittedBy = task.submittedBy
        priority = task.priority
        state = task.state.rawValue
        stateLabel = WebFormat.state(task.state.rawValue)
        progress = ProgressView(task.counts)
        created = TimeView(task.createdAt)
        finished = task.finishedAt.map(WebFormat.time)
        reportHref = task.reportUrl == nil ? nil : "/tasks/\(task.id)/report"
        let scored = task.counts.passed + task.counts.failed + task.counts.error + task.counts.timedOut
        passRate = scored == 0 ? nil : WebFormat.percent(Double(task.counts.passed) / Double(scored))
        tests = task.tests?.summary
        testPassRate = task.tests.map { WebFormat.percent($0.passRate) }
    }
}

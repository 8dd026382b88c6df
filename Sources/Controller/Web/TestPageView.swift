import Foundation
import WireProtocol

/// One test on a page of its own: what the case page shows of it, and its output.
struct TestPageView: Sendable {
    var caseID: Int64
    var caseName: String
    var taskID: Int64
    var taskName: String
    var n: Int
    var name: String
    var status: String
    var duration: String
    var message: String?
    var flaky: Bool
    var output: String?

    init(_ test: CaseTest, of detail: CaseDetail) {
        caseID = detail.case.id
        caseName = detail.case.name
        taskID = detail.task.id
        taskName = detail.task.name
        n = test.n
        name = test.qualifiedName
        status = test.status.rawValue
        duration = WebFormat.duration(test.durationMs)
        message = test.message
        flaky = test.flaky == true
        output = test.output.flatMap { $0.isEmpty ? nil : $0 }
    }
}

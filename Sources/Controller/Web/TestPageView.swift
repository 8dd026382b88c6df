import Foundation
import WireProtocol

/// One test on a page of its own: what the case page shows of it, and its output.
struct TestPageView: Sendable {
    var caseID: Int64
    var caseName: String
    var taskID: Int64
    var taskName: String
    /// What the case page's test table shows of the test.
    var test: TestRow
    var output: String?

    init(_ test: CaseTest, of detail: CaseDetail) {
        caseID = detail.case.id
        caseName = detail.case.name
        taskID = detail.task.id
        taskName = detail.task.name
        self.test = TestRow(test, caseID: detail.case.id)
        output = test.output.flatMap { $0.isEmpty ? nil : $0 }
    }
}

import Foundation
import WireProtocol

/// A test of a case as the case page's test table lists it; the test's own page shows the same facts.
struct TestRow: Sendable {
    var n: Int
    var name: String
    var status: String
    var duration: String
    var message: String?
    var flaky: Bool
    /// The output as JSON, which the case page's script shows in place.
    var outputHref: String
    /// The test's own page, with its output, for a browser without the script.
    var pageHref: String

    init(_ test: CaseTest, caseID: Int64) {
        n = test.n
        name = test.qualifiedName
        status = test.status.rawValue
        duration = WebFormat.duration(test.durationMs)
        message = test.message
        flaky = test.flaky == true
        outputHref = "/api/v1/cases/\(caseID)/tests/\(test.n)"
        pageHref = "/cases/\(caseID)/tests/\(test.n)"
    }
}

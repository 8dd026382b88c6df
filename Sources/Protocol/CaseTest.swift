import Foundation

/// One test of a case: `GET /api/v1/cases/{id}/tests` lists them, `GET /api/v1/cases/{id}/tests/{n}` adds
/// the output.
public struct CaseTest: Codable, Sendable, Equatable, NamedTest {
    /// The test's place in its result file, from 1: its address under the case.
    public var n: Int
    public var classname: String
    public var name: String
    public var status: TestStatus
    public var durationMs: Int64?
    public var message: String?
    public var flaky: Bool?
    /// Only in the single-test answer.
    public var output: String?

    public init(
        n: Int,
        classname: String,
        name: String,
        status: TestStatus,
        durationMs: Int64?,
        message: String?,
        flaky: Bool? = nil,
        output: String? = nil
    ) {
        self.n = n
        self.classname = classname
        self.name = name
        self.status = status
        self.durationMs = durationMs
        self.message = message
        self.flaky = flaky
        self.output = output
    }
}

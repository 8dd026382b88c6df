import Foundation

/// One test of a case as the agent reports it with the result (`CaseResult.tests`).
public struct TestRecord: Codable, Sendable, Equatable, NamedTest {
    public var classname: String
    public var name: String
    public var status: TestStatus
    public var durationMs: Int64?
    /// The failure's, error's or skip's `message` attribute, else the first line of its text.
    public var message: String?
    /// The failure or error text, then `system-out` and `system-err`: at most 64 KiB, head and tail.
    public var output: String?
    /// Passed after failing in the same run (a rerun inside the tool: `flakyFailure`, `rerunFailure`, …).
    public var flaky: Bool?

    public init(
        classname: String,
        name: String,
        status: TestStatus,
        durationMs: Int64? = nil,
        message: String? = nil,
        output: String? = nil,
        flaky: Bool? = nil
    ) {
        self.classname = classname
        self.name = name
        self.status = status
        self.durationMs = durationMs
        self.message = message
        self.output = output
        self.flaky = flaky
    }
}

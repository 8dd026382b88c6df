import Foundation

/// A test named in a report: its case, its identity within the case, how it ended.
public struct ReportTest: Codable, Sendable, Equatable, NamedTest {
    public var caseId: Int64
    public var `case`: String
    public var classname: String
    public var name: String
    public var status: TestStatus
    public var message: String?

    public init(caseId: Int64, case: String, classname: String, name: String, status: TestStatus, message: String?) {
        self.caseId = caseId
        self.case = `case`
        self.classname = classname
        self.name = name
        self.status = status
        self.message = message
    }
}

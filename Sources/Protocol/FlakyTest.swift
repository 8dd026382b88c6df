import Foundation

/// A test that failed and then passed on a retry, or flipped between passing and failing lately.
public struct FlakyTest: Codable, Sendable, Equatable, NamedTest {
    public var `case`: String
    public var classname: String
    public var name: String
    public var reason: String

    public init(case: String, classname: String, name: String, reason: String) {
        self.case = `case`
        self.classname = classname
        self.name = name
        self.reason = reason
    }
}

/// How much of a JUnit XML result file the agent reads and keeps, and the controller accepts. The defaults bound
/// a case's tests, sent as JSON with its result, to well under the 64 MiB a request to the controller may hold,
/// even when every character must be escaped.
public struct TestLimits: Sendable, Equatable {
    /// Larger files are not read at all.
    public var fileBytes = 50 << 20
    /// More tests in one file: the file is not read.
    public var tests = 100_000
    /// A test's class name and name each; longer ones are cut.
    public var nameBytes = 2_000
    /// A test's message; longer ones are cut.
    public var messageBytes = 2_000
    /// A test's output: head and tail are kept.
    public var outputBytes = 64 << 10
    /// The output of all tests of the file; tests past it keep a note instead of their output.
    public var totalOutputBytes = 12 << 20
    /// Names and messages of all tests of the file: past it the file is not read.
    public var totalTextBytes = 8 << 20

    public init() {}

    /// Why a file of `size` bytes is not read, or `nil` when it may be.
    public func sizeRefusal(_ size: Int) -> String? {
        size > fileBytes ? "it holds \(size) bytes, more than the \(fileBytes >> 20) MiB read" : nil
    }
}

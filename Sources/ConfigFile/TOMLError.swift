/// A TOML document that could not be read: where (line and column, from 1; the column counts characters)
/// and why.
public struct TOMLError: Error, CustomStringConvertible, Sendable {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

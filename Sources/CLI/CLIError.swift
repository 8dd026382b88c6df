/// An error the CLI reports in one line and exits with.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var status: ExitStatus

    static func usage(_ message: String) -> CLIError { CLIError(description: message, status: .usage) }
    static func failure(_ message: String) -> CLIError { CLIError(description: message, status: .failure) }
}

import Foundation

/// Passwords asked on the terminal without echo, or read line by line from standard input when that is not a
/// terminal (for scripts).
enum PasswordInput {
    /// One password; `what` names it in the prompt and in the error when none comes.
    static func read(_ what: String) throws -> String {
        let password = Console.isTerminal(STDIN_FILENO) ? Console.askSecret("\(what): ") : readLine(strippingNewline: true)
        guard let password, !password.isEmpty else {
            throw CLIError.usage("no \(what): type it when asked, or give it on standard input")
        }
        return password
    }

    /// A new password: asked twice on a terminal (they must match), read once from standard input.
    static func new(_ what: String) throws -> String {
        let password = try read(what)
        if Console.isTerminal(STDIN_FILENO), try read("\(what) again") != password {
            throw CLIError.usage("the two passwords differ")
        }
        return password
    }
}

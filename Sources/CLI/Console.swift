import Foundation

/// The terminal: messages on standard error, whether a stream is a terminal and how wide, and reading a
/// password without echo.
enum Console {
    /// A line of results on standard output, written at once: a CI log shows it as it happens, not when a
    /// buffer fills (a wait can take hours).
    static func out(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// A failure, prefixed with the program's name.
    static func error(_ message: String) {
        note("testfleet: " + message)
    }

    /// A line on standard error (progress and notes; standard output carries the results).
    static func note(_ message: String) {
        write(message + "\n", to: STDERR_FILENO)
    }

    static func write(_ text: String, to descriptor: Int32) {
        let handle = descriptor == STDOUT_FILENO ? FileHandle.standardOutput : FileHandle.standardError
        handle.write(Data(text.utf8))
    }

    /// Ends the process with `status`.
    static func end(_ status: Int32) -> Never {
        exit(status)
    }

    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// Columns of the terminal on `descriptor`, or 80 when it cannot tell.
    static func width(of descriptor: Int32) -> Int {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// Asks on standard error and reads a line from standard input.
    static func ask(_ prompt: String) -> String? {
        write(prompt, to: STDERR_FILENO)
        return readLine(strippingNewline: true)
    }

    /// Asks on standard error and reads a line from the terminal with echo off; restores the terminal after.
    static func askSecret(_ prompt: String) -> String? {
        write(prompt, to: STDERR_FILENO)
        var saved = termios()
        let canHide = tcgetattr(STDIN_FILENO, &saved) == 0
        if canHide {
            var hidden = saved
            hidden.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
        }
        defer {
            if canHide { _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            write("\n", to: STDERR_FILENO)
        }
        return readLine(strippingNewline: true)
    }
}

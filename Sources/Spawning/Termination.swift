/// How a process ended, from the status `waitpid` gives.
public enum Termination: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus status: Int32) {
        self = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
    }

    /// The shell's way of saying it: the exit code, or 128 plus the signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}

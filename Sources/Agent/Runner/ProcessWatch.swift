import AsyncSupport
import Foundation

/// Reads a pipe to its end on a thread of ``ReaderThreads`` and appends what it reads to a file, so a case's output
/// (from every process holding the pipe, not only the first) lands on disk while the agent ships it.
final class PipeDrain: Sendable {
    private let readFD: Int32
    private let eof = OneShot<Void>()

    /// - Parameter bell: rung after every write to the file, and at the end.
    init(readFD: Int32, appendingTo file: URL, bell: Doorbell? = nil) throws {
        self.readFD = readFD
        let output = open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw AgentError("cannot open \(file.path): \(String(cString: strerror(errno)))") }
        ReaderThreads.shared.run { [eof] buffer in
            while true {
                let count = read(readFD, &buffer, buffer.count)
                if count > 0 {
                    var written = 0
                    while written < count {
                        let result = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                        if result < 0 && errno == EINTR { continue }
                        if result <= 0 { break }
                        written += result
                    }
                    bell?.ring()
                } else if count == 0 || errno != EINTR {
                    break
                }
            }
            close(output)
            close(readFD)
            eof.fire(())
            bell?.ring()
        }
    }

    /// Waits until every writer closed the pipe.
    func finished() async { await eof.wait() }

    var isFinished: Bool { eof.value != nil }
}

import Foundation
import Spawning

/// Runs a short administrative command to completion and collects its output (stdout and stderr together).
/// Blocks the calling thread; used for `initdb`/`pg_ctl` at start and stop.
enum ProcessRunner {
    struct Result {
        var status: Int32
        var output: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Neither end may leak into other children spawned meanwhile.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let pid: pid_t
        do {
            pid = try Spawn.start(executable, arguments, output: .descriptor(writeEnd))
        } catch {
            close(readEnd)
            close(writeEnd)
            throw Failure(description: "\(error)")
        }
        close(writeEnd)
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            if count > 0 {
                output.append(contentsOf: buffer[..<count])
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(readEnd)
        return Result(status: Spawn.wait(for: pid).shellStatus, output: String(decoding: output, as: UTF8.self))
    }
}

extension ProcessRunner {
    /// ``run(_:_:)`` without holding a concurrency thread while the process runs.
    static func run(_ executable: String, _ arguments: [String]) async throws -> Result {
        try await Blocking.run { try run(executable, arguments) }
    }
}

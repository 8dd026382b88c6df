import AsyncSupport
import Foundation
import Spawning

/// Watches a started case on one thread of ``ReaderThreads``: appends what its output pipe carries to a file (from
/// every process holding the pipe, not only the first), reaps the shell when it ends, says when the case's time is
/// up, and reminds its caller when it still runs after a while. One `poll` waits for all of them, so the end of a
/// short case wakes one thread once, and no timer is set for it elsewhere.
final class ProcessWatch: Sendable {
    /// Fires with how the shell ended, once it is reaped.
    let ended = OneShot<Termination>()
    /// Fires when the time given is up and the shell still runs.
    let timeUp = OneShot<Void>()
    private let eof = OneShot<Void>()

    /// Starts watching. Takes over `readFD` and `output` and closes them when every writer closed the pipe.
    ///
    /// - Parameters:
    ///   - reminder: called once at that instant if the shell still runs.
    ///   - bell: rung after every write to the file, and at the end.
    init(
        process: pid_t,
        readFD: Int32,
        output: Int32,
        deadline: ContinuousClock.Instant,
        reminder: (at: ContinuousClock.Instant, action: @Sendable () -> Void)? = nil,
        bell: Doorbell? = nil
    ) {
        let processFD = ProcessDescriptor.open(process)
        ReaderThreads.shared.run { [ended, timeUp, eof] buffer in
            var pipeOpen = true
            var reaped = false
            var reminder = reminder
            while pipeOpen || !reaped {
                var descriptors = [pollfd]()
                if pipeOpen { descriptors.append(pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)) }
                if !reaped, let processFD { descriptors.append(pollfd(fd: processFD, events: Int16(POLLIN), revents: 0)) }
                var timeout: Int32 = -1
                if !reaped {
                    if timeUp.value == nil { timeout = Self.milliseconds(until: deadline) }
                    if let reminder { timeout = min(timeout < 0 ? .max : timeout, Self.milliseconds(until: reminder.at)) }
                    // Without a process descriptor, the end is looked for now and then.
                    if processFD == nil { timeout = timeout < 0 ? 20 : min(timeout, 20) }
                }
                // An error here can only be an interruption: the descriptors and their count are valid.
                let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
                if pipeOpen && ready > 0 && descriptors[0].revents != 0 {
                    pipeOpen = Self.copy(from: readFD, to: output, buffer: &buffer, bell: bell)
                }
                // The process descriptor (polled last) is readable once the shell has ended; without one, look at
                // every turn.
                let mayHaveEnded = !reaped && (processFD == nil || (ready > 0 && descriptors.last!.revents != 0))
                if mayHaveEnded, let status = Self.reap(process) {
                    reaped = true
                    // What the shell wrote before it ended is in the pipe already: take it, and its end if it came.
                    while pipeOpen && Self.isReadable(readFD) {
                        pipeOpen = Self.copy(from: readFD, to: output, buffer: &buffer, bell: bell)
                    }
                    if !pipeOpen && eof.value == nil { Self.finish(readFD: readFD, output: output, eof: eof, bell: bell) }
                    ended.fire(Termination(waitStatus: status))
                    continue
                }
                if !pipeOpen && eof.value == nil { Self.finish(readFD: readFD, output: output, eof: eof, bell: bell) }
                if !reaped && timeUp.value == nil && ContinuousClock.now >= deadline { timeUp.fire(()) }
                if !reaped, let due = reminder, ContinuousClock.now >= due.at {
                    reminder = nil
                    due.action()
                }
            }
            if eof.value == nil { Self.finish(readFD: readFD, output: output, eof: eof, bell: bell) }
            if let processFD { close(processFD) }
        }
    }

    /// Waits until every writer closed the pipe and the output is in the file.
    func drained() async { await eof.wait() }

    var isDrained: Bool { eof.value != nil }

    /// One read from the pipe, written to the file. Returns whether the pipe is still open.
    private static func copy(from readFD: Int32, to output: Int32, buffer: inout [UInt8], bell: Doorbell?) -> Bool {
        let count = read(readFD, &buffer, buffer.count)
        if count < 0 { return errno == EINTR || errno == EAGAIN }
        if count == 0 { return false }
        var written = 0
        while written < count {
            let result = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
            if result < 0 && errno == EINTR { continue }
            if result <= 0 { break }
            written += result
        }
        bell?.ring()
        return true
    }

    private static func finish(readFD: Int32, output: Int32, eof: OneShot<Void>, bell: Doorbell?) {
        close(output)
        close(readFD)
        eof.fire(())
        bell?.ring()
    }

    /// The shell's wait status once it has ended; `nil` while it runs.
    private static func reap(_ process: pid_t) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(process, &status, WNOHANG)
            if result == process { return status }
            if result < 0 && errno == EINTR { continue }
            // 0: still running. -1 otherwise: not a child of ours any more, which nothing else reaps.
            return result == 0 ? nil : 0
        }
    }

    private static func isReadable(_ descriptor: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    /// Whole milliseconds until `deadline`, rounded up so that a wake-up is never early; 0 once it passed.
    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - .now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

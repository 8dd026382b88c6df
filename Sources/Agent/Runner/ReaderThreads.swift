import Foundation
import Synchronization

/// Threads that read case output: a thread whose pipe has ended waits for the next case's, so that starting a case
/// does not start a thread. There are as many as pipes have been read at once; one that waits longer than
/// `idleLimit` ends, so that a burst of cases on many slots does not keep its threads.
final class ReaderThreads: Sendable {
    static let shared = ReaderThreads()

    let idleLimit: Duration

    init(idleLimit: Duration = .seconds(60)) {
        self.idleLimit = idleLimit
    }

    /// One thread: the read it is to do next, the buffer it reads into, and the signal that hands it a read.
    private final class Reader: @unchecked Sendable {
        let handedOver = DispatchSemaphore(value: 0)
        // Written before `handedOver` is signalled and read after it is waited for, or under the pool's lock.
        var job: (@Sendable (inout [UInt8]) -> Void)?
        var buffer = [UInt8](repeating: 0, count: 65536)
    }

    private struct State {
        var waiting: [Reader] = []
        var threads = 0
    }

    private let state = Mutex(State())

    /// Threads waiting for a pipe.
    var idle: Int { state.withLock { $0.waiting.count } }

    /// Threads in all, reading or waiting.
    var count: Int { state.withLock { $0.threads } }

    /// Runs `job` on a thread of its own, with a 64 KiB buffer to read into.
    func run(_ job: @escaping @Sendable (inout [UInt8]) -> Void) {
        let waiting: Reader? = state.withLock { state in
            if let reader = state.waiting.popLast() { return reader }
            state.threads += 1
            return nil
        }
        if let reader = waiting {
            reader.job = job
            reader.handedOver.signal()
            return
        }
        let reader = Reader()
        reader.job = job
        let thread = Thread { [self] in serve(reader) }
        thread.name = "testfleet-case-output"
        thread.start()
    }

    private func serve(_ reader: Reader) {
        while true {
            reader.job?(&reader.buffer)
            reader.job = nil
            state.withLock { $0.waiting.append(reader) }
            let (seconds, attoseconds) = idleLimit.components
            let limit = DispatchTime.now() + .nanoseconds(Int(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
            guard reader.handedOver.wait(timeout: limit) == .timedOut else { continue }
            let ended = state.withLock { state in
                guard let index = state.waiting.firstIndex(where: { $0 === reader }) else { return false }
                state.waiting.remove(at: index)
                state.threads -= 1
                return true
            }
            if ended { return }
            // Taken for a read just as its wait ran out: the read is being handed over.
            reader.handedOver.wait()
        }
    }
}

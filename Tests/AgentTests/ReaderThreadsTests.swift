import Dispatch
import Foundation
import Synchronization
import Testing

@testable import testfleet_agent

@Suite("Threads that read case output")
struct ReaderThreadsTests {
    /// A name for the current thread that no other thread gets, even one started after it ended.
    private static func threadName() -> String {
        let key = "testfleet.tests.thread"
        if let name = Thread.current.threadDictionary[key] as? String { return name }
        let name = UUID().uuidString
        Thread.current.threadDictionary[key] = name
        return name
    }

    /// Runs `count` reads that each block until all of them have started, and returns the threads they ran on.
    private func readAtOnce(_ count: Int, on threads: ReaderThreads) throws -> Set<String> {
        let ran = Mutex<Set<String>>([])
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let ended = DispatchSemaphore(value: 0)
        for _ in 0..<count {
            threads.run { buffer in
                ran.withLock { _ = $0.insert(Self.threadName()) }
                #expect(buffer.count == 65536)
                started.signal()
                release.wait()
                ended.signal()
            }
        }
        // A read that waited for another to end would never start: the others wait for it.
        for index in 0..<count {
            try #require(started.wait(timeout: .now() + 10) == .success, "read \(index + 1) of \(count) did not start")
        }
        for _ in 0..<count { release.signal() }
        for _ in 0..<count { try #require(ended.wait(timeout: .now() + 10) == .success) }
        return ran.withLock { $0 }
    }

    @Test("reads handed over together each get a thread at once, and later reads take the same threads again")
    func reuse() async throws {
        let threads = ReaderThreads()
        let first = try readAtOnce(3, on: threads)
        #expect(first.count == 3)
        // Each thread waits for the next read once its own has returned.
        let deadline = ContinuousClock.now + .seconds(10)
        while threads.idle < 3 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(threads.idle == 3)
        let second = try readAtOnce(3, on: threads)
        #expect(second == first)
        // One more read than there are threads starts another.
        while threads.idle < 3 && ContinuousClock.now < deadline { await Task.yield() }
        let third = try readAtOnce(4, on: threads)
        #expect(third.count == 4)
        #expect(third.isSuperset(of: first))
    }

    @Test("a thread that waits longer than its limit for a read ends; reads after that still get a thread")
    func idleThreadsEnd() async throws {
        let threads = ReaderThreads(idleLimit: .milliseconds(200))
        let first = try readAtOnce(2, on: threads)
        #expect(first.count == 2)
        let deadline = ContinuousClock.now + .seconds(10)
        while threads.idle < 2 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(threads.idle == 2)
        while threads.idle > 0 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(threads.idle == 0)
        let second = try readAtOnce(2, on: threads)
        #expect(second.isDisjoint(with: first))
    }
}

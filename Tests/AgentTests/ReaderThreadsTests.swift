import AsyncSupport
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

    /// Runs `count` reads that each block until all of them have started, calls `whileReading` while they all
    /// block, and returns the threads they ran on. The reads block their own threads only: the test waits for them
    /// without holding a thread of the shared pool.
    private func readAtOnce(
        _ count: Int,
        on threads: ReaderThreads,
        whileReading: () -> Void = {}
    ) async throws -> Set<String> {
        let (started, starting) = AsyncStream<String>.makeStream()
        let (ended, ending) = AsyncStream<Void>.makeStream()
        let release = DispatchSemaphore(value: 0)
        for _ in 0..<count {
            threads.run { buffer in
                #expect(buffer.count == 65536)
                starting.yield(Self.threadName())
                release.wait()
                ending.yield()
            }
        }
        // A read that waited for another to end would never start: the others wait for it.
        let names = try await withDeadline(.seconds(30), "\(count) reads starting") {
            var names: [String] = []
            for await name in started {
                names.append(name)
                if names.count == count { break }
            }
            return names
        }
        whileReading()
        for _ in 0..<count { release.signal() }
        try await withDeadline(.seconds(30), "\(count) reads ending") {
            var left = count
            for await _ in ended {
                left -= 1
                if left == 0 { break }
            }
        }
        #expect(Set(names).count == count)
        return Set(names)
    }

    /// Waits, without sleeping, until `condition` holds.
    private func waitUntil(_ what: Comment, _ condition: () -> Bool) async {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() && ContinuousClock.now < deadline { await Task.yield() }
        #expect(condition(), what)
    }

    @Test("reads handed over together each get a thread at once, and later reads take the same threads again")
    func reuse() async throws {
        let threads = ReaderThreads()
        let first = try await readAtOnce(3, on: threads)
        // Each thread waits for the next read once its own has returned.
        await waitUntil("three threads waiting") { threads.idle == 3 }
        let second = try await readAtOnce(3, on: threads)
        #expect(second == first)
        // One more read than there are threads starts another.
        await waitUntil("three threads waiting") { threads.idle == 3 }
        let third = try await readAtOnce(4, on: threads)
        #expect(third.count == 4)
        #expect(third.isSuperset(of: first))
    }

    @Test("a thread that waits longer than its limit for a read ends; reads after that still get a thread")
    func idleThreadsEnd() async throws {
        let threads = ReaderThreads(idleLimit: .milliseconds(50))
        // Counted while the reads block: once they return, the threads may end at any moment.
        let first = try await readAtOnce(2, on: threads) { #expect(threads.count == 2) }
        await waitUntil("both threads ended") { threads.count == 0 }
        let second = try await readAtOnce(2, on: threads) { #expect(threads.count == 2) }
        #expect(second.isDisjoint(with: first))
    }
}

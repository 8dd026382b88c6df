import AsyncSupport
import Testing

/// The wake-up the log shipper waits on: a ring is never lost between a check and the wait after it.
@Suite("Doorbell")
struct DoorbellTests {
    @Test("a ring before the wait is kept for it; rings before a wait count once")
    func ringBeforeWait() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        let start = ContinuousClock.now
        await bell.wait()
        #expect(ContinuousClock.now - start < .seconds(1))
        // Both rings were consumed by that wait: this one waits out its deadline.
        let before = ContinuousClock.now
        await bell.wait(until: before + .milliseconds(100))
        #expect(ContinuousClock.now - before >= .milliseconds(100))
    }

    @Test("a ring wakes a waiter that is already suspended; a deadline ends a wait nobody rings")
    func ringWakesWaiter() async {
        let bell = Doorbell()
        let started = ContinuousClock.now
        await bell.wait(until: started + .milliseconds(100))
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        let waiting = Task {
            await bell.wait()
            return ContinuousClock.now
        }
        await Task.yield()
        let rung = ContinuousClock.now
        bell.ring()
        let woke = await waiting.value
        #expect(woke >= rung && woke - rung < .seconds(2))
    }
}

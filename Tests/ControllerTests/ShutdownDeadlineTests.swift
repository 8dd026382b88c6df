import AsyncSupport
import Logging
import ServiceLifecycle
import Testing

@testable import testfleet_controller

@Suite("The shutdown deadline")
struct ShutdownDeadlineTests {
    /// A service that ends only when told to, whatever the group asks of it.
    struct Stubborn: Service {
        let release: OneShot<Void>

        func run() async throws {
            await release.wait()
        }
    }

    @Test("a shutdown that does not end within the limit ends the process, while what holds it still runs")
    func overrun() async throws {
        let release = OneShot<Void>()
        let exited = OneShot<ContinuousClock.Instant>()
        let logger = Logger(label: "tests")
        let deadline = ShutdownDeadline(limit: .milliseconds(300), logger: logger) { exited.fire(.now) }
        var configuration = ServiceGroupConfiguration(services: [Stubborn(release: release), deadline], logger: logger)
        configuration.maximumGracefulShutdownDuration = nil
        configuration.maximumCancellationDuration = nil
        let group = ServiceGroup(configuration: configuration)
        let running = Task { try await group.run() }
        await group.triggerGracefulShutdown()
        let started = ContinuousClock.now
        let exitedAt = try await withDeadline(.seconds(30), "the deadline's exit") { await exited.wait() }
        #expect(exitedAt - started >= .milliseconds(300))
        #expect(release.value == nil)
        release.fire(())
        try await running.value
    }
}

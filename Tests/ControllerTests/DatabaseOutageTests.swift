import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// PostgreSQL going away and coming back, seen from the API.
@Suite("Database outage", .serialized)
struct DatabaseOutageTests {
    @Test(
        "with PostgreSQL down, the API answers 503 with a message and Retry-After at once, not after the pool's minute; it works again when PostgreSQL is back"
    )
    func outage() async throws {
        try await withControllerProcess(settings: ["log_level=debug"]) { controller in
            try await outage(controller)
            #expect(await controller.stop(), "the controller did not stop within 20 s of SIGTERM")
        }
    }

    private func outage(_ controller: ControllerProcess) async throws {
        let remote = try await controller.connect()
        #expect(try await remote.admin.send(.GET, "/api/v1/tasks").status == 200)

        _ = try await Blocking.run { controller.cluster.stop() }
        // Before, every request waited for a pooled connection until the pool gave up a minute later: none of them
        // would answer within the few seconds each is given here.
        let refused = try await waitFor("a 503 within 5 s of its request", timeout: 30, every: .milliseconds(200)) {
            () -> ControllerClient.Answer? in
            guard let answer = try? await remote.admin.send(.GET, "/api/v1/tasks", timeout: .seconds(5)) else { return nil }
            return answer.status == 503 ? answer : nil
        }
        #expect(String(decoding: refused.body, as: UTF8.self).contains("the database is unreachable; try again shortly"))
        #expect(refused.header("Retry-After") == "2")
        // A page is answered with a page saying so.
        let page = try await remote.admin.send(.GET, "/tasks", timeout: .seconds(5))
        #expect(page.status == 503 && page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(String(decoding: page.body, as: UTF8.self).contains("the database is unreachable; try again shortly"))
        // A probe without credentials: not ready, but alive.
        let probe = try remote.client(bearer: nil)
        #expect(try await probe.send(.GET, "/readyz", timeout: .seconds(5)).status == 503)
        #expect(try await probe.send(.GET, "/healthz", timeout: .seconds(5)).status == 200)

        _ = try await Blocking.run { try controller.cluster.start() }
        try await waitUntil("the API to work again", timeout: 120, every: .milliseconds(200)) {
            (try? await remote.admin.send(.GET, "/api/v1/tasks", timeout: .seconds(10)))?.status == 200
        }
        #expect(try await probe.send(.GET, "/readyz").status == 200)
    }
}

import Foundation

/// Starts an agent (as ``TestAgent/start(_:name:products:slots:extra:run:)``), runs `body` with it, then stops it —
/// SIGTERM and a wait for its exit, SIGKILL past the wait, and whatever its cases left running — and removes its
/// directory, whether `body` returned or threw.
func withAgent<T>(
    _ controller: some ControllerEndpoint,
    name: String,
    products: [TestAgent.Product],
    slots: Int = 1,
    extra: String = "",
    run: Bool = true,
    _ body: (TestAgent) async throws -> T
) async throws -> T {
    let agent = try await TestAgent.start(controller, name: name, products: products, slots: slots, extra: extra, run: run)
    return try await finishing([agent]) { try await body(agent) }
}

/// Runs `body`, then stops `agents` as ``withAgent(_:name:products:slots:extra:run:_:)`` does, whether `body`
/// returned or threw: for agents started together.
func finishing<T>(_ agents: [TestAgent], _ body: () async throws -> T) async throws -> T {
    do {
        let value = try await body()
        for agent in agents { await agent.finish() }
        return value
    } catch {
        for agent in agents { await agent.finish(failed: true) }
        throw error
    }
}

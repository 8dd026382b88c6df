import Logging
import PostgresNIO
import ServiceLifecycle

/// Listens on the Testfleet channel with one pooled connection and wakes this controller's waiting lease
/// requests that can match. Reconnects when the connection drops, and then wakes everyone, since
/// notifications may have been missed meanwhile. Its connection is also how the controller knows the database is
/// there: while it is lost, ``DatabaseReachability`` says so and statements fail at once.
struct NotificationListener: Service {
    let client: PostgresClient
    let waiters: LeaseWaiters
    let nodes: NodeCaches
    let tokens: TokenCache
    let catalog: CatalogCache
    let metrics: ControllerMetrics
    let reachability: DatabaseReachability
    let logger: Logger

    func run() async throws {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            do {
                try await cancelWhenGracefulShutdown {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Notifications.channel) { notifications in
                            logger.debug("listening for work notifications")
                            if reachability.found() {
                                nodes.activity.reachableAgain()
                                logger.notice("the database is reachable again")
                            }
                            // Anything sent while not listening is unknown: everyone looks again.
                            nodes.capabilities.resume()
                            nodes.forgetAll()
                            tokens.resume()
                            catalog.resume()
                            waiters.wakeAll()
                            for try await notification in notifications {
                                handle(notification.payload)
                            }
                        }
                    }
                }
            } catch {
                // Until it listens again, changes would go unnoticed: a revoked token must not stay usable.
                tokens.suspend()
                catalog.suspend()
                nodes.capabilities.suspend()
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                reachability.lost()
                if ContinuousClock.now - started > .seconds(10) { backoff = .milliseconds(100) }
                logger.warning("notification listener lost its connection; reconnecting: \(String(reflecting: error))")
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    func handle(_ payload: String) {
        metrics.notificationsReceived.increment()
        switch Notifications.parse(payload) {
        case .work(let key, let count):
            nodes.activity.workAppeared(key)
            waiters.wake(key: key, count: count)
        case .nodeChanged(let node):
            nodes.forget(node: node)
            waiters.wake(node: node)
        case .catalogChanged:
            catalog.forgetAll()
            nodes.forgetAll()
            waiters.wakeAll()
        case .installQueued(let node):
            nodes.activity.installQueued(node)
            waiters.wake(node: node)
        case .tokenRevoked:
            tokens.forgetAll()
        case .catalogEdited:
            catalog.forgetAll()
        case nil:
            logger.debug("ignoring unknown notification \(payload)")
        }
    }
}

import AsyncSupport
import ControllerClient
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WireProtocol

/// The agent at work: reports the inventory (again whenever the config file changes), delivers what an
/// earlier run left in the spool, and runs one lease loop per slot. On graceful shutdown it leases nothing
/// more, lets running cases finish within the grace period, then stops them and hands them back. When the
/// controller refuses the node's credential, it stops running cases and ends with ``CredentialRefused``.
struct AgentService: Service {
    let config: AgentConfiguration
    let client: AgentClient
    let logger: Logger

    var managed: ManagedInstalls { ManagedInstalls(dataDirectory: config.dataURL) }

    func run() async throws {
        try FileManager.default.createDirectory(at: config.spoolURL, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: config.workURL, withIntermediateDirectories: true)
        let shutdownExpired = OneShot<Void>()
        let running = RunningCount()
        logger.info(
            "agent \(config.name) started with \(config.slots) slot(s), controller \(config.controller)"
        )
        try await withGracefulShutdownHandler {
            // A slot that throws (the credential is refused) cancels the others.
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await redeliverSpool(shutdownExpired: shutdownExpired) }
                group.addTask { await reportInventory() }
                for slot in 0..<config.slots {
                    group.addTask {
                        try await work(slot: slot, running: running, shutdownExpired: shutdownExpired)
                    }
                }
            }
        } onGracefulShutdown: {
            logger.notice("shutting down: leasing nothing more; running cases have \(config.shutdownGraceSeconds) s to finish")
            Task {
                try? await Task.sleep(for: .seconds(config.shutdownGraceSeconds))
                shutdownExpired.fire(())
            }
        }
        logger.info("agent stopped")
    }

    /// One slot: lease, run, repeat. Each case's result asks for the slot's next assignment, so a busy slot makes
    /// one request per case; it long-polls only when the answer brought nothing.
    private func work(slot: Int, running: RunningCount, shutdownExpired: OneShot<Void>) async throws {
        var backoff = Backoff()
        var pending: Assignment?
        // An assignment that came with a result is run even when shutdown began meanwhile, as one that came from
        // the long poll is.
        while pending != nil || (!Task.isShuttingDownGracefully && !Task.isCancelled) {
            var assignment = pending
            pending = nil
            if assignment == nil {
                do {
                    let free = config.slots - running.value
                    assignment = try await cancelWhenGracefulShutdown {
                        try await client.assignment(wait: Double(config.leaseWaitSeconds), freeSlots: free)
                    }
                    backoff.reset()
                } catch {
                    if Task.isShuttingDownGracefully || Task.isCancelled { break }
                    if let error = error as? ClientError, error.status == 401 {
                        // Nothing works without the credential: stop what runs and end, instead of asking forever.
                        shutdownExpired.fire(())
                        throw CredentialRefused(message: error.message)
                    }
                    logger.warning("lease request failed: \(error)")
                    let delay = backoff.next()
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                    continue
                }
            }
            guard let assignment else { continue }
            running.add(1)
            switch assignment {
            case .run(let lease):
                pending = await CaseExecution(
                    lease: lease,
                    client: client,
                    config: config,
                    logger: logger,
                    shutdownExpired: shutdownExpired
                ).run(next: NextRequest(waitS: Double(config.leaseWaitSeconds)))
            case .install(let job):
                await InstallExecution(job: job, client: client, config: config, managed: managed, logger: logger).run()
            }
            running.add(-1)
        }
    }

    /// Posts the inventory and the node's labels now and whenever the config file's inventory or labels change.
    private func reportInventory() async {
        let kind = await MachineKind.detect()
        var posted: Inventory?
        var listed = config.products
        var labelled = config.labels
        var current = Inventory(
            products: ManagedInstalls.merge(config: listed, managed: managed.load()),
            labels: AgentLabels.collect(configured: labelled, kind: kind)
        )
        var backoff = Backoff()
        var lastModified = Self.modificationDate(config.path)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if posted != current {
                do {
                    var report = current
                    report.facts = LocalFacts.collect(slots: config.slots)
                    let answer = try await client.inventory(report)
                    posted = current
                    backoff.reset()
                    let count = current.products.reduce(0) { $0 + $1.tools.count }
                    let labels = (current.labels ?? []).joined(separator: ", ")
                    logger.info("inventory reported: \(current.products.count) product(s), \(count) tool(s); labels \(labels)")
                    if !answer.unknown.isEmpty {
                        logger.warning(
                            "not in the controller's catalog (no case will match them until it is): \(answer.unknown.joined(separator: ", "))"
                        )
                    }
                } catch {
                    logger.warning("cannot report the inventory; retrying: \(error)")
                    let delay = backoff.next()
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                    continue
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
            let modified = Self.modificationDate(config.path)
            if modified != lastModified {
                lastModified = modified
                do {
                    let changed = try AgentConfiguration.load(path: config.path.path)
                    (listed, labelled) = (changed.products, changed.labels)
                    // The labels found out (os, arch, kind) do not change while the agent runs.
                    current.labels = AgentLabels.collect(configured: labelled, kind: kind)
                } catch {
                    logger.error("ignoring the changed config file: \(error)")
                }
            }
            // Install jobs change what is installed without touching the config file.
            current.products = ManagedInstalls.merge(config: listed, managed: managed.load())
        }
    }

    private static func modificationDate(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }

    /// Delivers logs and results an earlier run of the agent could not, and stops cases it left running.
    private func redeliverSpool(shutdownExpired: OneShot<Void>) async {
        for entry in SpoolEntry.all(in: config.spoolURL) {
            guard let lease = try? entry.lease() else {
                entry.remove()
                continue
            }
            if let group = entry.group(), group > 0, kill(-group, 0) == 0 {
                logger.warning("stopping the processes of case \(lease.caseName) left by an earlier run")
                kill(-group, SIGKILL)
            }
            let result =
                entry.result()
                ?? CaseResult(
                    token: lease.token,
                    status: .error,
                    exitCode: nil,
                    durationMs: 0,
                    message: "the agent stopped while the case ran"
                )
            let shipper = LogShipper(client: client, lease: lease, entry: entry, logger: logger)
            if case .refused = await shipper.run(outputComplete: { true }) {
                logger.info("the controller no longer takes case \(lease.caseName) of an earlier run")
            }
            _ = await CaseExecution(
                lease: lease,
                client: client,
                config: config,
                logger: logger,
                shutdownExpired: shutdownExpired
            ).deliver(result, entry: entry, logger: logger)
        }
    }
}

extension AgentService: CustomStringConvertible {
    var description: String { "AgentService(\(config.name))" }
}

import AsyncSupport
import ControllerClient
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// One leased case from start to delivered result: work directory, process, heartbeats, log shipping, result.
///
/// Nothing on the way from the process's exit to the result waits on a timer: the log shipper is woken by the
/// output and by the end of the case, a small remainder of the output travels with the result, and the result
/// asks for the node's next assignment, which comes back in its answer. The result is written to the spool before
/// it is posted, and posted until the controller answers.
struct CaseExecution: Sendable {
    let lease: Lease
    let client: AgentClient
    let config: AgentConfiguration
    let logger: Logger
    /// Fires when the agent's shutdown grace is over: running cases are stopped and handed back.
    let shutdownExpired: OneShot<Void>

    /// The output left for the result to carry, at most.
    static let tailBytes = LogShipper.chunkBytes

    /// Runs the case and delivers its result; with `next`, the result asks for the node's next assignment and
    /// this returns it (`nil` when none came within the wait).
    func run(next: NextRequest? = nil) async -> Assignment? {
        var logger = logger
        logger[metadataKey: "testfleet.case.id"] = .stringConvertible(lease.caseId)
        logger[metadataKey: "testfleet.lease.id"] = .string(lease.leaseId.uuidString.lowercased())
        let started = ContinuousClock.now
        let entry: SpoolEntry
        do {
            entry = try SpoolEntry.create(in: config.spoolURL, lease: lease)
        } catch {
            logger.error("cannot write the spool: \(error)")
            let result = CaseResult(token: lease.token, status: .error, exitCode: nil, durationMs: 0, message: "agent spool: \(error)")
            return await deliver(result, entry: nil, next: next, logger: logger)
        }
        logger.debug("running case \(lease.caseName)")
        let stop = OneShot<CaseProcess.Stop>()
        let leaseLost = OneShot<String>()
        let finished = OneShot<Void>()
        // The lease is fresh: heartbeats start only if the case still runs a moment later, when the process's
        // watch reminds us (soon enough to show the case as running; later than most short cases take).
        let heartbeats = OneShot<Task<Void, Never>>()
        let startHeartbeats = CaseProcess.Reminder(after: min(.seconds(max(1, lease.heartbeatIntervalS)), .seconds(1))) {
            [self, logger] in
            heartbeats.fire(Task { await heartbeat(stop: stop, lost: leaseLost, until: finished, logger: logger) })
        }
        defer {
            finished.fire(())
            heartbeats.value?.cancel()
        }
        let shutdownObserver = shutdownExpired.observe { _ in stop.fire(.shutdown) }
        defer { shutdownExpired.removeObserver(shutdownObserver) }
        let workRoot = config.workURL.path
        let workPath = workRoot + "/" + lease.leaseId.uuidString.lowercased()
        let workDirectories = DirectoryPool.shared(for: workRoot)
        let work = URL(fileURLWithPath: workPath, isDirectory: true)
        let resultFile = URL(fileURLWithPath: workPath + "/.testfleet-result.json", isDirectory: false)
        let values = CommandTemplate.Values(
            caseName: lease.caseName,
            productDirectory: lease.product.path,
            toolDirectory: lease.tool.path,
            productVersion: lease.product.version,
            workDirectory: workPath,
            resultFile: resultFile.path
        )
        var environment = values.environment
        environment["TESTFLEET_TASK_ID"] = String(lease.taskId)
        environment["TESTFLEET_CASE_ID"] = String(lease.caseId)
        environment["TESTFLEET_ATTEMPT"] = String(lease.attempt)
        environment["TESTFLEET_PRODUCT_NAME"] = lease.product.name
        environment["TESTFLEET_TOOL_NAME"] = lease.tool.name
        environment["TESTFLEET_TOOL_VERSION"] = lease.tool.version
        let timeout = Duration.seconds(lease.timeoutS)
        let outcome: CaseProcess.Outcome
        var processTime = Duration.zero
        var shipped: LogShipper.Ending = .delivered(offset: 0)
        do {
            if !workDirectories.take(as: workPath, mode: 0o755) && mkdir(workPath, 0o755) != 0 && errno != EEXIST {
                try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            }
            let shipper = LogShipper(client: client, lease: lease, entry: entry, logger: logger)
            let process = CaseProcess(
                command: CommandTemplate.render(lease.commandTemplate, values),
                environment: environment,
                workDirectory: work,
                outputFile: entry.outputFile,
                timeout: timeout,
                killGrace: .seconds(config.killGraceSeconds),
                outputBell: shipper.bell,
                reminder: startHeartbeats
            )
            let processDone = OneShot<Void>()
            let shipping = Task { await shipper.run(keep: Self.tailBytes) { processDone.value != nil } }
            let spawned = ContinuousClock.now
            outcome = await process.run(stop: stop) { entry.saveGroup($0) }
            processTime = ContinuousClock.now - spawned
            processDone.fire(())
            shipper.bell.ring()
            shipped = await shipping.value
            if case .refused(let reason) = shipped { logger.warning("the controller refused the log: \(reason)") }
        } catch {
            outcome = .failedToStart("cannot create the work directory \(work.path): \(error)")
        }
        let verdict = CaseOutcome.classify(outcome, resultFile: ResultFile.read(resultFile), timeout: timeout)
        if !config.keepWorkDirs, !workDirectories.keepIfEmpty(workPath), rmdir(workPath) != 0 {
            try? FileManager.default.removeItem(at: work)
        }
        if let reason = leaseLost.value {
            logger.warning("lease lost, result dropped: \(reason)")
            entry.remove()
            return nil
        }
        let duration = ContinuousClock.now - started
        var result = CaseResult(
            token: lease.token,
            status: verdict.status,
            exitCode: verdict.exitCode,
            durationMs: Self.milliseconds(duration),
            message: verdict.message,
            tests: verdict.tests
        )
        // Stopped for the agent's own shutdown, the case did not fail: the controller queues it again.
        if case .stopped(.shutdown) = outcome { result.handedBack = true }
        try? entry.saveResult(result)
        if case .delivered(let offset) = shipped, entry.outputSize > offset,
            let data = try? entry.readOutput(from: offset, count: Self.tailBytes)
        {
            result.log = LogTail(offset: offset, data: data)
        }
        let posted = ContinuousClock.now
        let assignment = await deliver(result, entry: entry, next: next, logger: logger)
        let ended = ContinuousClock.now
        // The result's time runs from posting it until its answer is read and its spool entry forgotten: mostly the
        // controller's, and with the next case asked for, any wait for one.
        logger.info(
            """
            case \(lease.caseName) \(verdict.status.rawValue) in \(Self.format(ended - started)) \
            (process \(Self.format(processTime)), result \(Self.format(ended - posted)))
            """
        )
        return assignment
    }

    /// Posts the result until the controller takes or refuses it, then forgets the spool entry. With `next`, the
    /// result asks for the node's next assignment, which is returned; once the agent is shutting down it asks no
    /// more. A tail of the output the controller cannot place is shipped as a log of its own first.
    func deliver(_ result: CaseResult, entry: SpoolEntry?, next: NextRequest? = nil, logger: Logger) async -> Assignment? {
        var result = result
        var backoff = Backoff()
        while true {
            result.next = shutdownExpired.value == nil && !Task.isShuttingDownGracefully ? next : nil
            do {
                let assignment = try await posting(result)
                entry?.remove()
                return assignment
            } catch let error as ClientError where result.log != nil && (error.status == 413 || error.offset != nil) {
                // The controller's copy of the log does not end where the tail begins: ship it the usual way.
                if let entry, let tail = result.log {
                    let shipper = LogShipper(client: client, lease: lease, entry: entry, logger: logger)
                    _ = await shipper.run(from: error.offset ?? tail.offset) { true }
                }
                result.log = nil
            } catch let error as ClientError where !error.isTransient {
                logger.warning("the controller refused the result: \(error)")
                entry?.remove()
                return nil
            } catch {
                if shutdownExpired.value != nil {
                    logger.warning("result of case \(lease.caseName) stays in the spool for the next start: \(error)")
                    return nil
                }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// One post of the result. A wait for the next assignment ends when the agent starts shutting down; the result
    /// itself is then posted again without asking, which the controller takes as the same result.
    private func posting(_ result: CaseResult) async throws -> Assignment? {
        guard result.next != nil else { return try await client.result(lease, result) }
        var plain = result
        plain.next = nil
        do {
            return try await cancelWhenGracefulShutdown { try await client.result(lease, result) }
        } catch  where Task.isShuttingDownGracefully {
            return try await client.result(lease, plain)
        }
    }

    /// Renews the lease until `finished`: at once, then every interval. Cancellation or loss stops the case.
    private func heartbeat(
        stop: OneShot<CaseProcess.Stop>,
        lost: OneShot<String>,
        until finished: OneShot<Void>,
        logger: Logger
    ) async {
        let interval = Duration.seconds(max(1, lease.heartbeatIntervalS))
        var next = ContinuousClock.now
        var backoff = Backoff()
        while finished.value == nil {
            // The end of the case cancels this task, which ends the sleep.
            guard (try? await Task.sleep(until: next, clock: .continuous)) != nil, finished.value == nil else { return }
            do {
                let answer = try await client.heartbeat(lease)
                backoff.reset()
                if answer.cancel, stop.fire(.cancelled) {
                    logger.info("case cancelled by the controller")
                }
                next = ContinuousClock.now + interval
            } catch let error as ClientError where !error.isTransient {
                lost.fire(error.message)
                stop.fire(.leaseLost)
                return
            } catch {
                if finished.value != nil { return }
                logger.warning("heartbeat failed; retrying: \(error)")
                next = ContinuousClock.now + min(backoff.next(), interval)
            }
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Milliseconds with two decimals, for the log (written out by hand: `String(format:)` costs more than the rest
    /// of the line).
    static func format(_ duration: Duration) -> String {
        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let hundredths = (micros + 5) / 10
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) ms"
    }
}

import AsyncSupport
import ControllerClient
import Foundation
import Logging
import WireProtocol

/// One leased case from start to delivered result: work directory, process, heartbeats, log shipping,
/// result. The result is written to the spool before it is posted, and posted until the controller answers.
struct CaseExecution: Sendable {
    let lease: Lease
    let client: AgentClient
    let config: AgentConfiguration
    let logger: Logger
    /// Fires when the agent's shutdown grace is over: running cases are stopped and handed back.
    let shutdownExpired: OneShot<Void>

    func run() async {
        var logger = logger
        logger[metadataKey: "testfleet.case.id"] = .stringConvertible(lease.caseId)
        logger[metadataKey: "testfleet.lease.id"] = .string(lease.leaseId.uuidString.lowercased())
        let started = ContinuousClock.now
        let entry: SpoolEntry
        do {
            entry = try SpoolEntry.create(in: config.spoolURL, lease: lease)
        } catch {
            logger.error("cannot write the spool: \(error)")
            await deliver(
                CaseResult(token: lease.token, status: .error, exitCode: nil, durationMs: 0, message: "agent spool: \(error)"),
                entry: nil,
                logger: logger
            )
            return
        }
        logger.info("running case \(lease.caseName)")
        let stop = OneShot<CaseProcess.Stop>()
        let leaseLost = OneShot<String>()
        let finished = OneShot<Void>()
        let heartbeats = Task { await heartbeat(stop: stop, lost: leaseLost, until: finished, logger: logger) }
        let shutdownObserver = shutdownExpired.observe { _ in stop.fire(.shutdown) }
        defer { shutdownExpired.removeObserver(shutdownObserver) }
        let work = config.workURL.appendingPathComponent(lease.leaseId.uuidString.lowercased())
        let resultFile = work.appendingPathComponent(".testfleet-result.json")
        let values = CommandTemplate.Values(
            caseName: lease.caseName,
            productDirectory: lease.product.path,
            toolDirectory: lease.tool.path,
            productVersion: lease.product.version,
            workDirectory: work.path,
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
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let process = CaseProcess(
                command: CommandTemplate.render(lease.commandTemplate, values),
                environment: environment,
                workDirectory: work,
                outputFile: entry.outputFile,
                timeout: timeout,
                killGrace: .seconds(config.killGraceSeconds)
            )
            let shipper = LogShipper(client: client, lease: lease, entry: entry, logger: logger)
            let processDone = OneShot<Void>()
            let shipping = Task { await shipper.run { processDone.value != nil } }
            outcome = await process.run(stop: stop) { entry.saveGroup($0) }
            processDone.fire(())
            if case .refused(let reason) = await shipping.value {
                logger.warning("the controller refused the log: \(reason)")
            }
        } catch {
            outcome = .failedToStart("cannot create the work directory \(work.path): \(error)")
        }
        let verdict = CaseOutcome.classify(outcome, resultFile: try? Data(contentsOf: resultFile), timeout: timeout)
        if !config.keepWorkDirs { try? FileManager.default.removeItem(at: work) }
        if let reason = leaseLost.value {
            logger.warning("lease lost, result dropped: \(reason)")
            finished.fire(())
            await heartbeats.value
            entry.remove()
            return
        }
        let duration = ContinuousClock.now - started
        let result = CaseResult(
            token: lease.token,
            status: verdict.status,
            exitCode: verdict.exitCode,
            durationMs: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000,
            message: verdict.message
        )
        try? entry.saveResult(result)
        logger.info("case \(lease.caseName) \(verdict.status.rawValue)")
        await deliver(result, entry: entry, logger: logger)
        finished.fire(())
        await heartbeats.value
    }

    /// Posts the result until the controller takes or refuses it, then forgets the spool entry.
    func deliver(_ result: CaseResult, entry: SpoolEntry?, logger: Logger) async {
        var backoff = Backoff()
        while true {
            do {
                try await client.result(lease, result)
                entry?.remove()
                return
            } catch let error as ClientError where !error.isTransient {
                logger.warning("the controller refused the result: \(error)")
                entry?.remove()
                return
            } catch {
                if shutdownExpired.value != nil {
                    logger.warning("result of case \(lease.caseName) stays in the spool for the next start: \(error)")
                    return
                }
                try? await Task.sleep(for: backoff.next())
            }
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
                logger.warning("heartbeat failed; retrying: \(error)")
                next = ContinuousClock.now + min(backoff.next(), interval)
            }
            let wake = OneShot<Void>()
            let deadline = next
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                wake.fire(())
            }
            let observer = finished.observe { _ in wake.fire(()) }
            await wake.wait()
            finished.removeObserver(observer)
            timer.cancel()
        }
    }
}

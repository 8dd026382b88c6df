import ConfigFile
import Foundation
import Synchronization
import Testing
import WireProtocol

@testable import testfleet_controller

@Suite("Decisions without a database")
struct PureDecisionTests {
    @Test("lease policy: only infrastructure errors are retried, up to the limit; a hand-back always; cancelled tasks and cases end")
    func leasePolicy() {
        let policy = LeasePolicy()
        #expect(policy.afterResult(status: .error, attempts: 1, maxInfraRetries: 2, cancelled: nil) == .retry)
        #expect(
            policy.afterResult(status: .error, attempts: 3, maxInfraRetries: 2, cancelled: nil)
                == .finish(.error, note: "failed on infrastructure 3 times")
        )
        #expect(policy.afterResult(status: .failed, attempts: 1, maxInfraRetries: 5, cancelled: nil) == .finish(.failed, note: nil))
        #expect(policy.afterResult(status: .timedOut, attempts: 1, maxInfraRetries: 5, cancelled: nil) == .finish(.timedOut, note: nil))
        #expect(
            policy.afterResult(status: .error, attempts: 1, maxInfraRetries: 5, cancelled: .task) == .finish(.cancelled, note: "task cancelled")
        )
        #expect(policy.afterResult(status: .passed, attempts: 1, maxInfraRetries: 5, cancelled: .task) == .finish(.passed, note: nil))
        // A case its agent handed back as it shut down goes back to the queue past the limit, unless cancelled.
        #expect(policy.afterResult(status: .error, attempts: 3, maxInfraRetries: 0, cancelled: nil, handedBack: true) == .handBack)
        // … up to its limit: then it is an infrastructure failure like any other.
        #expect(
            policy.afterResult(status: .error, attempts: 1, maxInfraRetries: 1, cancelled: nil, handedBack: true, handBacksBefore: 2) == .handBack
        )
        #expect(
            policy.afterResult(status: .error, attempts: 1, maxInfraRetries: 1, cancelled: nil, handedBack: true, handBacksBefore: 3) == .retry
        )
        #expect(
            policy.afterResult(status: .error, attempts: 1, maxInfraRetries: 5, cancelled: .task, handedBack: true)
                == .finish(.cancelled, note: "task cancelled")
        )
        #expect(
            policy.afterLostRun(attempts: 1, maxInfraRetries: 0, cancelled: nil)
                == .finish(.error, note: "lost 1 times: the node running it stopped answering")
        )
        #expect(policy.afterLostRun(attempts: 2, maxInfraRetries: 2, cancelled: nil) == .retry)
        // A case cancelled on its own ends as a cancelled task's cases do.
        #expect(policy.afterResult(status: .error, attempts: 1, maxInfraRetries: 5, cancelled: .case) == .finish(.cancelled, note: "case cancelled"))
        #expect(policy.afterResult(status: .cancelled, attempts: 1, maxInfraRetries: 5, cancelled: .case) == .finish(.cancelled, note: nil))
        #expect(policy.afterResult(status: .failed, attempts: 1, maxInfraRetries: 5, cancelled: .case) == .finish(.failed, note: nil))
        #expect(
            policy.afterLostRun(attempts: 1, maxInfraRetries: 5, cancelled: .case)
                == .finish(.cancelled, note: "case cancelled; the node stopped answering")
        )
    }

    @Test("lease waiters: registered before the query, woken oldest first, only when they can run the work")
    func waiters() async throws {
        let waiters = LeaseWaiters()
        let clock = SchedulingClock.manual()
        let key = WorkKey(productID: 1, toolID: 2)
        let other = WorkKey(productID: 9, toolID: 9)
        let first = waiters.register(node: 1, capabilities: [key])
        let second = waiters.register(node: 2, capabilities: [key])
        let third = waiters.register(node: 3, capabilities: [other])
        // Work arriving before the wait is not lost.
        waiters.wake(key: key, count: 1)
        #expect(await waiters.wait(first, until: clock.instant + .seconds(5), on: clock) == .woken)
        // A woken request queries again with a fresh ticket; the old one goes.
        waiters.remove(first)
        #expect(try await Self.timedOut(waiters, second, clock) == .timedOut)
        async let waiting = waiters.wait(second, until: clock.instant + .seconds(5), on: clock)
        try await waitUntil("the request waits") { waiters.suspended == 1 }
        waiters.wake(key: key, count: 1)
        #expect(await waiting == .woken)
        waiters.wake(key: key, count: 5)
        #expect(try await Self.timedOut(waiters, third, clock) == .timedOut)
        waiters.wake(node: 3)
        #expect(await waiters.wait(third, until: clock.instant + .seconds(5), on: clock) == .woken)
        for ticket in [second, third] { waiters.remove(ticket) }
        #expect(waiters.count == 0)
        let cancelled = waiters.register(node: 4, capabilities: [key])
        let task = Task { await waiters.wait(cancelled, until: clock.instant + .seconds(30), on: clock) }
        try await waitUntil("the request waits") { waiters.suspended == 1 }
        task.cancel()
        #expect(await task.value == .cancelled)
    }

    /// Waits on a manual clock, moved past the deadline once the wait has begun.
    private static func timedOut(
        _ waiters: LeaseWaiters,
        _ ticket: LeaseWaiters.Ticket,
        _ clock: SchedulingClock
    ) async throws -> LeaseWaiters.Outcome {
        async let outcome = waiters.wait(ticket, until: clock.instant + .seconds(30), on: clock)
        try await waitUntil("the wait begins") { clock.waiting == 1 }
        clock.advance(by: .seconds(29))
        await Task.yield()
        #expect(clock.waiting == 1, "the wait ended before its deadline")
        clock.advance(by: .seconds(1))
        return await outcome
    }

    @Test("lease waiters: a submission claims waiting requests, one per node; notifications pass them by; a claim not served wakes its request")
    func claims() async throws {
        let waiters = LeaseWaiters()
        let clock = SchedulingClock.manual()
        let key = WorkKey(productID: 1, toolID: 2)
        let first = waiters.register(node: 1, capabilities: [key])
        let second = waiters.register(node: 2, capabilities: [key])
        let sameNode = waiters.register(node: 2, capabilities: [key])
        let querying = waiters.register(node: 3, capabilities: [key])
        async let handed = waiters.wait(first, until: clock.instant + .seconds(5), on: clock)
        async let unserved = waiters.wait(second, until: clock.instant + .seconds(5), on: clock)
        async let notified = waiters.wait(sameNode, until: clock.instant + .seconds(5), on: clock)
        try await waitUntil("three requests wait") { waiters.suspended == 3 }
        // Only suspended requests are claimed (not one still querying), and one per node.
        let claims = waiters.claim(key: key, limit: 5)
        try #require(claims.map(\.node) == [1, 2])
        waiters.wake(key: key, count: 5)
        #expect(await notified == .woken)
        #expect(await waiters.wait(querying, until: clock.instant + .seconds(5), on: clock) == .woken)
        let lease = Lease(
            leaseId: UUID(),
            token: 7,
            expiresAt: Date(),
            heartbeatIntervalS: 10,
            caseId: 1,
            caseName: "a",
            taskId: 1,
            attempt: 1,
            commandTemplate: "true",
            product: LeasedItem(name: "p", version: "1", path: "/p"),
            tool: LeasedItem(name: "t", version: "1", path: "/t"),
            timeoutS: 60
        )
        #expect(waiters.deliver(claims[0], lease))
        #expect(await handed == .handed(lease))
        waiters.unclaim(claims[1])
        #expect(await unserved == .woken)
        // A claim is served or given up once; a request that stopped waiting takes no case.
        #expect(!waiters.deliver(claims[1], lease))
        let gone = waiters.register(node: 4, capabilities: [key])
        let polling = Task { await waiters.wait(gone, until: clock.instant + .seconds(30), on: clock) }
        try await waitUntil("the request waits") { waiters.suspended == 1 }
        let late = try #require(waiters.claim(key: key, limit: 1).first)
        waiters.remove(gone)
        _ = await polling.value
        #expect(!waiters.deliver(late, lease))
    }

    @Test("node activity: a freed slot ends an idle mark but not what is known of install jobs")
    func nodeActivity() {
        let activity = NodeActivity()
        let key = WorkKey(productID: 1, toolID: 2)
        #expect(activity.mayHaveInstallJobs(7), "unknown counts as maybe")
        activity.noInstallJobs(7, asOf: activity.generation)
        activity.markIdle(7, keys: [key], asOf: activity.generation)
        #expect(!activity.mayHaveInstallJobs(7) && activity.isIdle(7))

        activity.slotFreed(7)
        #expect(!activity.isIdle(7), "a freed slot may lease again")
        #expect(!activity.mayHaveInstallJobs(7), "a freed slot queues no install job")

        activity.markIdle(7, keys: [key], asOf: activity.generation)
        activity.workAppeared(WorkKey(productID: 1, toolID: 3))
        #expect(activity.isIdle(7), "work the node cannot run leaves it idle")
        activity.workAppeared(key)
        #expect(!activity.isIdle(7))
        activity.installQueued(7)
        #expect(activity.mayHaveInstallJobs(7))
    }

    @Test("token and catalog caches keep nothing read before a forget")
    func cachesAndForgets() {
        let tokens = TokenCache(ttl: .seconds(60))
        let user = AuthenticatedUser(id: 1, username: "ana", role: .member, method: .token)
        let hash = Data([1, 2, 3])
        let before = tokens.generation
        tokens.forgetAll()
        tokens.remember(.init(user: user, tokenID: 9, usageWrittenAt: .now), under: [hash], asOf: before)
        #expect(tokens.value(hash) == nil, "a lookup begun before a revocation is not kept")
        tokens.remember(.init(user: user, tokenID: 9, usageWrittenAt: .now), under: [hash], asOf: tokens.generation)
        let cached = tokens.value(hash) { ($0.user.username, $0.tokenID, $0.recordsUse(at: .now)) }
        #expect(cached?.0 == "ana" && cached?.1 == 9 && cached?.2 == false)
        tokens.forgetAll()
        #expect(tokens.value(hash) == nil)

        let catalog = CatalogCache()
        let product = Product(
            id: 4,
            fields: CatalogItemFields(name: "shop", version: "2.0"),
            details: ProductDetails(),
            artifact: nil,
            createdAt: Date(),
            updatedAt: Date()
        )
        let stale = catalog.generation
        catalog.forgetAll()
        catalog.remember(.product(product), asOf: stale)
        #expect(catalog.value(.id(.product, 4)) == nil)
        catalog.remember(.product(product), asOf: catalog.generation)
        guard case .product(let byName) = catalog.value(.name(.product, "shop", version: "2.0")) else {
            Issue.record("not found by name")
            return
        }
        #expect(byName.id == 4 && catalog.value(.id(.tool, 4)) == nil)
    }

    @Test("node capabilities: a read overtaken by a forget is not kept; nothing is kept while suspended or past its age")
    func nodeCapabilities() async throws {
        let loads = Mutex(0)
        let gate = AsyncStream<Void>.makeStream()
        let key = WorkKey(productID: 1, toolID: 2)
        let capabilities = NodeCapabilities(ttl: .seconds(60)) { _ in
            let count = loads.withLock {
                $0 += 1
                return $0
            }
            // The first read waits until the test has forgotten the node meanwhile.
            if count == 1 { for await _ in gate.stream { break } }
            return [key]
        }
        let overtaken = Task { try await capabilities.capabilities(of: 7) }
        try await waitUntil("the first read started") { loads.withLock { $0 } == 1 }
        capabilities.forget(node: 7)
        gate.continuation.yield()
        #expect(try await overtaken.value == [key])
        _ = try await capabilities.capabilities(of: 7)
        #expect(loads.withLock { $0 } == 2, "the read a forget overtook was not kept")
        _ = try await capabilities.capabilities(of: 7)
        #expect(loads.withLock { $0 } == 2, "a read after the forget is kept")
        capabilities.suspend()
        _ = try await capabilities.capabilities(of: 7)
        _ = try await capabilities.capabilities(of: 7)
        #expect(loads.withLock { $0 } == 4, "nothing is kept while notifications cannot arrive")
        capabilities.resume()
        _ = try await capabilities.capabilities(of: 7)
        _ = try await capabilities.capabilities(of: 7)
        #expect(loads.withLock { $0 } == 5)

        let aged = NodeCapabilities(ttl: .zero) { _ in
            loads.withLock { $0 += 1 }
            return [key]
        }
        _ = try await aged.capabilities(of: 7)
        _ = try await aged.capabilities(of: 7)
        #expect(loads.withLock { $0 } == 7, "an answer past its age is read again")
    }

    @Test("notifications parse back")
    func notifications() {
        let key = WorkKey(productID: 3, toolID: 4)
        #expect(Notifications.parse(Notifications.work(key, count: 7)) == .work(key, count: 7))
        // Work with labels wakes every waiter for its pair, unless there is none left.
        #expect(Notifications.parse(Notifications.work(key, count: 7, labelled: true)) == .work(key, count: .max))
        #expect(Notifications.parse(Notifications.work(key, count: 0, labelled: true)) == .work(key, count: 0))
        #expect(Notifications.parse(Notifications.nodeChanged(12)) == .nodeChanged(12))
        #expect(Notifications.parse(Notifications.catalogChanged) == .catalogChanged)
        #expect(Notifications.parse("work:x") == nil)
    }

    @Test("log placement: append, duplicate, overlap, gap")
    func logPlacement() {
        #expect(LogStore.Placement.decide(offset: 10, length: 5, end: 10) == .append(skip: 0, at: 10))
        #expect(LogStore.Placement.decide(offset: 0, length: 5, end: 10) == .duplicate)
        #expect(LogStore.Placement.decide(offset: 8, length: 5, end: 10) == .append(skip: 2, at: 10))
        #expect(LogStore.Placement.decide(offset: 11, length: 5, end: 10) == .gap(end: 10))
    }

    @Test("run command templates quote every value for the shell")
    func commandTemplate() {
        let values = CommandTemplate.Values(
            caseName: "it's a $case",
            productDirectory: "/opt/p 1",
            toolDirectory: "/opt/tool",
            productVersion: "1.0"
        )
        let rendered = CommandTemplate.render("{tool_dir}/run --case {case} --in {product_dir} -v {product_version} {work_dir}", values)
        #expect(rendered == #"/opt/tool/run --case 'it'\''s a $case' --in '/opt/p 1' -v 1.0 {work_dir}"#)
        #expect(CommandTemplate.render("{unknown} {case", values) == "{unknown} {case")
        #expect(values.environment["TESTFLEET_CASE"] == "it's a $case")
    }

    @Test("multipart bodies split across chunks at any byte")
    func multipart() throws {
        let body = Array(
            "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nalpha\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nline1\r\n--XyX\r\n--XyZ--\r\n"
                .utf8
        )
        for size in [1, 2, 3, 7, 64, body.count] {
            var scanner = MultipartScanner(boundary: "XyZ")
            var parts: [(String?, [UInt8])] = []
            var index = 0
            while index < body.count {
                for event in try scanner.feed(body[index..<min(index + size, body.count)]) {
                    switch event {
                    case .partStart(let headers): parts.append((MultipartScanner.disposition(headers["content-disposition"]).name, []))
                    case .bytes(let bytes): parts[parts.count - 1].1 += bytes
                    case .partEnd: break
                    }
                }
                index += size
            }
            #expect(scanner.isDone)
            #expect(parts.map(\.0) == ["a", "file"])
            #expect(String(decoding: parts[0].1, as: UTF8.self) == "alpha")
            #expect(String(decoding: parts[1].1, as: UTF8.self) == "line1\r\n--XyX")
        }
        #expect(MultipartScanner.boundary(contentType: "multipart/form-data; boundary=\"q\"") == "q")
        #expect(MultipartScanner.boundary(contentType: "text/plain") == nil)
    }

    @Test("why pending and ETA from figures")
    func insight() {
        let task = TaskInfo.sample()
        let waiting = SchedulingInsight.Progress(queued: 4)
        #expect(SchedulingInsight.pendingReason(task: task, progress: waiting, fleet: .init()) == "no node has product p 1 with tool t 2 installed")
        #expect(
            SchedulingInsight.pendingReason(task: task, progress: waiting, fleet: .init(matching: 3, offline: 2, disabled: 1))
                == "all 3 nodes with product p 1 with tool t 2 are unavailable: 2 offline, 1 disabled"
        )
        #expect(SchedulingInsight.pendingReason(task: task, progress: waiting, fleet: .init(matching: 1, online: 1, onlineSlots: 2)) == nil)
        #expect(SchedulingInsight.pendingReason(task: task, progress: .init(queued: 4, active: 1), fleet: .init()) == nil)
        // History: 10 s known + 2 unknown at the 5 s mean, on 2 slots.
        let history = SchedulingInsight.Progress(queued: 4, expectedMs: 10_000, expectedCount: 2, finishedMeanMs: nil)
        #expect(SchedulingInsight.eta(history, fleet: .init(onlineSlots: 2)) == 10)
        // Live throughput wins once cases finish: 6 in 60 s, 4 left.
        let live = SchedulingInsight.Progress(queued: 4, recentlyFinished: 6, window: 60)
        #expect(SchedulingInsight.eta(live, fleet: .init()) == 40)
        #expect(SchedulingInsight.eta(.init(queued: 3), fleet: .init()) == nil)
    }

    @Test("configuration: defaults, file, environment and flags, in that order; mistakes name the key")
    func configuration() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tf-config-\(UUID().uuidString).toml")
        try """
        port = 9000
        host = "127.0.0.1"
        tls_san = ["ci.example.com", "10.0.0.5"]
        lease_ttl_s = 30
        """.write(to: file, atomically: true, encoding: .utf8)
        let config = try ControllerConfiguration.load(
            file: file.path,
            environment: ["TESTFLEET_PORT": "9100", "TESTFLEET_LOG_LEVEL": "debug"],
            overrides: [("port", ["9200"]), ("tls_san", ["a.example.com"])]
        )
        #expect(config.port == 9200 && config.host == "127.0.0.1" && config.leaseTTLSeconds == 30 && config.logLevel == .debug)
        #expect(config.tlsSubjectAlternativeNames == ["ci.example.com", "10.0.0.5", "a.example.com"])
        #expect(ControllerConfiguration().port == 8443 && ControllerConfiguration().databaseURL == nil)
        #expect(throws: ConfigurationError.self) { try ControllerConfiguration.load(file: nil, environment: ["TESTFLEET_PORT": "http"]) }
        try "colour = 1".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try ControllerConfiguration.load(file: file.path, environment: [:]) }
        #expect(ControllerConfiguration.keys.count == Set(ControllerConfiguration.keys.map(\.name)).count)
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md"),
            encoding: .utf8
        )
        for key in ControllerConfiguration.keys {
            #expect(readme.contains("`\(key.name)`"), "README does not document \(key.name)")
        }
    }

    @Test("TOML: tables, arrays of tables, strings, numbers, inline tables; errors name the line")
    func toml() throws {
        let table = try TOML.parse(
            #"""
            # comment
            title = "a \"quoted\" \u00e9"
            literal = 'C:\path'
            multi = """
            one
            two"""
            count = 1_000
            ratio = 0.5
            on = true
            list = [1, 2,
              3,]
            point = { x = 1, y = "z" }
            a.b.c = "dotted"

            [server]
            port = 80

            [[product]]
            name = "p1"
            [[product.tool]]
            name = "t1"
            [[product]]
            name = "p2"
            """#
        )
        #expect(table["title"]?.string == "a \"quoted\" é")
        #expect(table["literal"]?.string == #"C:\path"#)
        #expect(table["multi"]?.string == "one\ntwo")
        #expect(table["count"]?.integer == 1000 && table["ratio"]?.double == 0.5 && table["on"]?.boolean == true)
        #expect(table["list"]?.array?.compactMap(\.integer) == [1, 2, 3])
        #expect(table["point"]?.table?["y"]?.string == "z")
        #expect(table["a"]?.table?["b"]?.table?["c"]?.string == "dotted")
        #expect(table["server"]?.table?["port"]?.integer == 80)
        let products = table.tables("product")
        #expect(products.map { $0["name"]?.string } == ["p1", "p2"])
        #expect(products[0].tables("tool").first?["name"]?.string == "t1")
        #expect(products[1].tables("tool").isEmpty)
        do {
            _ = try TOML.parse("ok = 1\nbroken = \n")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
        }
        #expect(throws: TOMLError.self) { try TOML.parse("a = 1\na = 2") }
        #expect(throws: TOMLError.self) { try TOML.parse("[t]\n[t]") }
        #expect(TOML.quote("a\"b\\c\n") == #""a\"b\\c\n""#)
    }
}

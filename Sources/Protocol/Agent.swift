import Foundation

/// Facts an agent reports about its machine.
public struct NodeFacts: Codable, Sendable, Equatable {
    public var hostname: String
    public var ip: String
    public var os: String
    public var arch: String
    public var agentVersion: String
    public var slots: Int

    public init(hostname: String, ip: String, os: String, arch: String, agentVersion: String, slots: Int) {
        self.hostname = hostname
        self.ip = ip
        self.os = os
        self.arch = arch
        self.agentVersion = agentVersion
        self.slots = slots
    }
}

/// Body of `POST /api/v1/agent/enroll`, authenticated by the enrollment token.
public struct EnrollRequest: Codable, Sendable {
    public var name: String
    public var facts: NodeFacts

    public init(name: String, facts: NodeFacts) {
        self.name = name
        self.facts = facts
    }
}

public struct EnrollResponse: Codable, Sendable {
    public var nodeId: Int64
    public var name: String
    /// The node's own credential: shown once, stored only as a hash on the controller.
    public var credential: String

    public init(nodeId: Int64, name: String, credential: String) {
        self.nodeId = nodeId
        self.name = name
        self.credential = credential
    }
}

/// One tool installed under a product on a node.
public struct InventoryTool: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var path: String
    /// Installed by the agent for an install job, rather than listed in its config file.
    public var managed: Bool?

    public init(name: String, version: String, path: String, managed: Bool? = nil) {
        self.name = name
        self.version = version
        self.path = path
        self.managed = managed
    }
}

/// One product installed on a node, with its tools.
public struct InventoryProduct: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var path: String
    public var tools: [InventoryTool]
    /// Installed by the agent for an install job, rather than listed in its config file.
    public var managed: Bool?

    public init(name: String, version: String, path: String, tools: [InventoryTool], managed: Bool? = nil) {
        self.name = name
        self.version = version
        self.path = path
        self.tools = tools
        self.managed = managed
    }
}

/// Body of `POST /api/v1/agent/inventory`.
public struct Inventory: Codable, Sendable, Equatable {
    public var facts: NodeFacts?
    public var products: [InventoryProduct]
    /// The node's labels as its agent knows them: from its config file and found out (`os:`, `arch:`, `kind:`);
    /// absent from older agents, which leaves the reported labels as they were.
    public var labels: [String]?

    public init(facts: NodeFacts? = nil, products: [InventoryProduct], labels: [String]? = nil) {
        self.facts = facts
        self.products = products
        self.labels = labels
    }
}

/// The controller's answer to an inventory: what it matched against the catalog.
public struct InventoryResponse: Codable, Sendable {
    /// Entries the catalog does not know (`name version` or `product/tool`); they stay recorded but match
    /// no task until the catalog has them.
    public var unknown: [String]

    public init(unknown: [String]) { self.unknown = unknown }
}

/// Body of `POST /api/v1/agent/lease`.
public struct LeaseRequest: Codable, Sendable {
    /// How long the controller may hold the request when there is nothing to run (seconds, ≤ 30 by default).
    public var waitS: Double?
    /// Free slots on the agent, for the controller's records.
    public var freeSlots: Int?

    public init(waitS: Double? = nil, freeSlots: Int? = nil) {
        self.waitS = waitS
        self.freeSlots = freeSlots
    }
}

/// A case handed to an agent.
public struct Lease: Codable, Sendable, Equatable {
    public var leaseId: UUID
    /// The fencing token: heartbeats, logs and the result must carry it.
    public var token: Int64
    public var expiresAt: Date
    public var heartbeatIntervalS: Int
    public var caseId: Int64
    public var caseName: String
    public var taskId: Int64
    public var attempt: Int
    /// The tool's run command template as the catalog has it: the agent substitutes every placeholder once,
    /// shell-quoted, so that a value that looks like a placeholder (a case named `{work_dir}`) stays as it is.
    public var commandTemplate: String
    public var product: LeasedItem
    public var tool: LeasedItem
    public var timeoutS: Int

    public init(
        leaseId: UUID,
        token: Int64,
        expiresAt: Date,
        heartbeatIntervalS: Int,
        caseId: Int64,
        caseName: String,
        taskId: Int64,
        attempt: Int,
        commandTemplate: String,
        product: LeasedItem,
        tool: LeasedItem,
        timeoutS: Int
    ) {
        self.leaseId = leaseId
        self.token = token
        self.expiresAt = expiresAt
        self.heartbeatIntervalS = heartbeatIntervalS
        self.caseId = caseId
        self.caseName = caseName
        self.taskId = taskId
        self.attempt = attempt
        self.commandTemplate = commandTemplate
        self.product = product
        self.tool = tool
        self.timeoutS = timeoutS
    }
}

/// A product or tool as a lease names it: what it is and where it is installed on the node.
public struct LeasedItem: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var path: String

    public init(name: String, version: String, path: String) {
        self.name = name
        self.version = version
        self.path = path
    }
}

/// Body of `POST /api/v1/agent/leases/{id}/heartbeat`.
public struct HeartbeatRequest: Codable, Sendable {
    public var token: Int64

    public init(token: Int64) { self.token = token }
}

public struct HeartbeatResponse: Codable, Sendable {
    /// The case was cancelled: kill it and report `cancelled`.
    public var cancel: Bool
    public var expiresAt: Date

    public init(cancel: Bool, expiresAt: Date) {
        self.cancel = cancel
        self.expiresAt = expiresAt
    }
}

/// Answer to a log chunk.
public struct LogAck: Codable, Sendable {
    /// The end of the log the controller holds: send the next chunk from here.
    public var offset: Int64

    public init(offset: Int64) { self.offset = offset }
}

/// Body of `POST /api/v1/agent/leases/{id}/result`.
public struct CaseResult: Codable, Sendable, Equatable {
    public var token: Int64
    public var status: ResultStatus
    public var exitCode: Int?
    public var durationMs: Int64
    public var message: String?
    /// The end of the case's output, when it is small: stored with the result instead of in a log request of
    /// its own.
    public var log: LogTail?
    /// Ask for the node's next assignment in the answer: one round trip per case instead of two.
    public var next: NextRequest?
    /// The tests of a JUnit XML result file, in the file's order; absent when the case wrote none.
    public var tests: [TestRecord]?

    public init(
        token: Int64,
        status: ResultStatus,
        exitCode: Int?,
        durationMs: Int64,
        message: String?,
        log: LogTail? = nil,
        next: NextRequest? = nil,
        tests: [TestRecord]? = nil
    ) {
        self.token = token
        self.status = status
        self.exitCode = exitCode
        self.durationMs = durationMs
        self.message = message
        self.log = log
        self.next = next
        self.tests = tests
    }

    /// The result as recorded, without what travels with it.
    public var recorded: CaseResult {
        CaseResult(token: token, status: status, exitCode: exitCode, durationMs: durationMs, message: message, tests: tests)
    }
}

/// Output that travels with a result: the bytes of the log from `offset` to its end.
public struct LogTail: Codable, Sendable, Equatable {
    public var offset: Int64
    public var data: Data

    public init(offset: Int64, data: Data) {
        self.offset = offset
        self.data = data
    }
}

/// The part of a result that asks for the node's next assignment.
public struct NextRequest: Codable, Sendable, Equatable {
    /// How long the controller may wait for work before it answers without one (seconds).
    public var waitS: Double?

    public init(waitS: Double? = nil) { self.waitS = waitS }
}

/// The answer to a result: with `next` asked, the node's next assignment, exactly as `POST
/// /api/v1/agent/lease` would answer it; absent when none came within the wait.
public struct ResultAnswer: Codable, Sendable, Equatable {
    public var next: Assignment?

    public init(next: Assignment? = nil) { self.next = next }
}

/// What `GET /api/v1/agent/node` tells an agent about itself.
public struct AgentSelf: Codable, Sendable {
    public var node: NodeInfo

    public init(node: NodeInfo) { self.node = node }
}

import AsyncSupport
import Foundation
import Logging
import PostgresNIO

/// What the routes and background services share: built once in ``buildApplication``.
struct ControllerServices: Sendable {
    let config: ControllerConfiguration
    let logger: Logger
    let database: Database
    /// The time scheduling decides by: the database's, or a test's.
    let clock: SchedulingClock
    let metrics: ControllerMetrics
    let users: UserRepository
    let audit: AuditLog
    let nodes: NodeRepository
    let catalog: CatalogRepository
    let tasks: TaskRepository
    let leases: LeaseStore
    let completion: TaskCompletion
    let waiters: LeaseWaiters
    let capabilities: NodeCapabilities
    let activity: NodeActivity
    /// The two above, forgotten together when a node changes.
    var nodeCaches: NodeCaches { NodeCaches(capabilities: capabilities, activity: activity) }
    let artifacts: ArtifactStore
    let logs: LogStore
    let installJobs: InstallJobRepository
    let scheduling: SchedulingInsight
    let dispatcher: Dispatcher
    /// SHA-256 of the certificate agents pin; `nil` when serving plain HTTP.
    let tlsFingerprint: String?
    /// Fires once the schema is migrated: background work waits for it.
    let migrated = OneShot<Void>()

    init(
        config: ControllerConfiguration,
        client: PostgresClient,
        clock: SchedulingClock,
        tlsFingerprint: String?,
        logger: Logger,
        metrics: ControllerMetrics = ControllerMetrics()
    ) {
        self.config = config
        self.logger = logger
        self.clock = clock
        self.metrics = metrics
        let database = Database(client: client, logger: logger, metrics: metrics)
        self.database = database
        users = UserRepository(database: database)
        audit = AuditLog(database: database)
        let activity = NodeActivity(presenceBatchWindow: config.presenceBatchWindow, clock: clock)
        self.activity = activity
        let nodes = NodeRepository(database: database, activity: activity, clock: clock)
        self.nodes = nodes
        catalog = CatalogRepository(database: database)
        tasks = TaskRepository(database: database, catalog: catalog, clock: clock)
        completion = TaskCompletion(reports: ReportStore(logger: logger), clock: clock, logger: logger)
        let logs = LogStore(database: database, maxBytesPerRun: config.caseLogMaxBytes)
        self.logs = logs
        leases = LeaseStore(
            database: database,
            policy: LeasePolicy(
                leaseTTLSeconds: config.leaseTTLSeconds,
                heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
                agingIntervalSeconds: config.agingIntervalSeconds,
                retryAvoidSeconds: config.retryAvoidSeconds,
                nodeMaxInfraFailures: config.nodeMaxInfraFailures
            ),
            clock: clock,
            completion: completion,
            logs: logs
        )
        waiters = LeaseWaiters()
        capabilities = NodeCapabilities { try await nodes.capabilities(nodeID: $0) }
        artifacts = ArtifactStore(directory: config.dataDirectory.appendingPathComponent("artifacts"))
        installJobs = InstallJobRepository(
            database: database,
            catalog: catalog,
            leaseTTLSeconds: config.leaseTTLSeconds,
            heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
            clock: clock
        )
        scheduling = SchedulingInsight(database: database, clock: clock, agingSeconds: config.agingIntervalSeconds)
        dispatcher = Dispatcher(
            leases: leases,
            installJobs: installJobs,
            waiters: waiters,
            capabilities: capabilities,
            activity: activity,
            metrics: metrics,
            clock: clock
        )
        self.tlsFingerprint = tlsFingerprint
        metrics.dbPoolMaxConnections.set(Double(config.databasePoolSize))
    }
}

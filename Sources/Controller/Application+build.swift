import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// The composition root: one place that turns a configuration into a running controller. Tests use it too.
struct ControllerApplication {
    var application: Application<RouterResponder<AppRequestContext>>
    var services: ControllerServices
    /// Stops an embedded PostgreSQL, blocking until it has stopped; does nothing with a database of one's own.
    var stopDatabase: @Sendable () -> Void
    /// Runs after the application stopped: ``stopDatabase`` off the caller's thread.
    var cleanup: @Sendable () async -> Void { { [stopDatabase] in _ = try? await Blocking.run { stopDatabase() } } }
    /// Every API route as `METHOD /path/{param}`, for comparing with the OpenAPI document.
    var routes: [String]

    /// Builds the application. With no database URL, starts (or reuses) the embedded PostgreSQL cluster. Scheduling
    /// goes by `clock`: the database's, unless a test brings its own.
    static func build(
        config: ControllerConfiguration,
        logger: Logger,
        clock: SchedulingClock = .database,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> ControllerApplication {
        try FileManager.default.createDirectory(
            at: config.dataDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o750]
        )
        let database = try await DatabaseLocation.resolve(config, logger: logger)
        var clientConfig = try DatabaseURL.parse(database.url, connections: config.databasePoolSize)
        clientConfig.options.minimumConnections = 2
        let client = PostgresClient(configuration: clientConfig, backgroundLogger: logger)

        let tls: TLSSetup? = config.insecureHTTP ? nil : try TLSSetup.prepare(config, logger: logger)
        let services = ControllerServices(
            config: config,
            client: client,
            clock: clock,
            tlsFingerprint: tls?.fingerprint,
            logger: logger
        )

        let renderer = try WebRenderer.load()
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: services.metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: WebErrorMiddleware(renderer: renderer))
        router.add(middleware: AuthMiddleware(users: services.users, nodes: services.nodes))
        router.add(middleware: QueryTextMiddleware())
        OperationsRoutes(services: services).addRoutes(to: router)
        let api = router.group("api/v1")
        AuthRoutes(services: services).addRoutes(to: api)
        UserRoutes(services: services).addRoutes(to: api)
        AuditRoutes(services: services).addRoutes(to: api)
        CatalogRoutes(services: services).addRoutes(to: api)
        EnrollmentRoutes(services: services).addRoutes(to: api)
        AgentRoutes(services: services).addRoutes(to: api)
        TaskRoutes(services: services).addRoutes(to: api)
        TestRoutes(services: services).addRoutes(to: api)
        NodeRoutes(services: services).addRoutes(to: api)
        ReportRoutes(services: services).addRoutes(to: api)
        // The API document describes the routes so far; the web pages are for browsers.
        let apiRoutes = router.routes
        WebRoutes(services: services, renderer: renderer).addRoutes(to: router)

        let http: HTTPServerBuilder = .http1(configuration: .init(additionalChannelHandlers: [HangupDetector()]))
        let server: HTTPServerBuilder =
            if let tls { try .tls(http, tlsConfiguration: tls.configuration) } else { http }
        var application = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "testfleet"),
            services: [client],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        application.beforeServerStarts {
            try await Migrator().migrate(services.database, logger: logger)
            services.migrated.fire(())
            if let password = try await services.users.bootstrapAdmin(password: config.adminPassword) {
                if config.adminPassword == nil {
                    let file = config.dataDirectory.appendingPathComponent("initial-admin-password")
                    try Secrets.writePrivateFile(file, contents: password + "\n")
                    logger.notice("created user admin; its password is in \(file.path)")
                } else {
                    logger.notice("created user admin with the password from TESTFLEET_ADMIN_PASSWORD")
                }
            }
            if let tls {
                logger.notice(
                    "serving HTTPS; agents pin the CA with --ca-sha256 \(tls.fingerprint)",
                    metadata: ["testfleet.tls.ca": .string(tls.caCertificatePath)]
                )
            } else {
                logger.warning("serving plain HTTP (insecure_http): credentials cross the network in clear")
            }
        }
        application.addServices(
            NotificationListener(
                client: client,
                waiters: services.waiters,
                nodes: services.nodeCaches,
                tokens: services.users.tokens,
                catalog: services.catalog.cache,
                metrics: services.metrics,
                reachability: services.database.reachability,
                logger: logger
            ),
            Reaper(services: services),
            RetentionSweep(services: services),
            PresenceWriter(
                activity: services.activity,
                database: services.database,
                clock: services.clock,
                logger: logger,
                interval: services.config.presenceWriteInterval
            ),
            HeapTrimmer(logger: logger)
        )
        let cluster = database.embedded
        let routes = apiRoutes.map { route in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            return "\(route.method) /" + path.joined(separator: "/")
        }
        return ControllerApplication(
            application: application,
            services: services,
            stopDatabase: { cluster?.stop() },
            routes: routes
        )
    }
}

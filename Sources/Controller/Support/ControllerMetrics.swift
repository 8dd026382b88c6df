import Prometheus

/// The controller's Prometheus metrics, served at `/metrics`. Names say what they count, with units.
struct ControllerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    let dbQueryDuration: DurationHistogram
    let dbInFlight: Gauge
    let dbStatements: Counter
    let dbPoolMaxConnections: Gauge
    let leasesGranted: Counter
    let leasesHanded: Counter
    let leaseWaiters: Gauge
    let wakeups: Counter
    let notificationsReceived: Counter
    let runsLost: Counter
    let casesRequeued: Counter
    let logBytesIngested: Counter

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let fast: [Duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(5),
        ]
        dbQueryDuration = registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "testfleet_db_query_duration",
                unitName: "seconds",
                helpText: "Time of database statements and transactions"
            ),
            buckets: fast
        )
        dbInFlight = registry.makeGauge(
            descriptor: .init(metricName: "testfleet_db_queries_in_flight", unitName: "", helpText: "Database statements and transactions under way")
        )
        dbStatements = registry.makeCounter(
            descriptor: .init(
                metricName: "testfleet_db_statements",
                unitName: "total",
                helpText: "SQL statements sent to PostgreSQL (BEGIN and COMMIT included)"
            )
        )
        dbPoolMaxConnections = registry.makeGauge(
            descriptor: .init(metricName: "testfleet_db_pool_max_connections", unitName: "", helpText: "Size of the database connection pool")
        )
        leasesGranted = registry.makeCounter(
            descriptor: .init(metricName: "testfleet_leases_granted", unitName: "total", helpText: "Cases handed to agents")
        )
        leasesHanded = registry.makeCounter(
            descriptor: .init(
                metricName: "testfleet_leases_handed",
                unitName: "total",
                helpText: "Cases leased to a waiting agent by the statement that stored their task"
            )
        )
        leaseWaiters = registry.makeGauge(
            descriptor: .init(metricName: "testfleet_lease_waiters", unitName: "", helpText: "Lease requests waiting for work on this controller")
        )
        wakeups = registry.makeCounter(
            descriptor: .init(metricName: "testfleet_lease_wakeups", unitName: "total", helpText: "Waiting lease requests woken by new work")
        )
        notificationsReceived = registry.makeCounter(
            descriptor: .init(metricName: "testfleet_work_notifications", unitName: "total", helpText: "Work notifications received from PostgreSQL")
        )
        runsLost = registry.makeCounter(
            descriptor: .init(metricName: "testfleet_runs_lost", unitName: "total", helpText: "Case runs whose lease expired without a result")
        )
        casesRequeued = registry.makeCounter(
            descriptor: .init(
                metricName: "testfleet_cases_requeued",
                unitName: "total",
                helpText: "Cases put back in the queue after an infrastructure failure"
            )
        )
        logBytesIngested = registry.makeCounter(
            descriptor: .init(metricName: "testfleet_log_bytes_ingested", unitName: "total", helpText: "Case log bytes accepted from agents")
        )
    }

    /// Counter of answered HTTP requests per route, method and status.
    func requests(route: String, method: String, status: Int) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "testfleet_http_requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: [("route", route), ("method", method), ("status", String(status))]
        )
    }

    /// Duration of HTTP requests per route and method.
    func requestDuration(route: String, method: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "testfleet_http_request_duration",
                unitName: "seconds",
                helpText: "Time to answer HTTP requests (long-polls included)"
            ),
            labels: [("route", route), ("method", method)],
            buckets: [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(5), .seconds(30), .seconds(60),
            ]
        )
    }

    /// What the retention sweep deleted: `task` (tasks with everything they hold), `case` (their cases) and
    /// `log_chunk` (stored chunks of case logs).
    func retentionDeleted(kind: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                metricName: "testfleet_retention_deleted",
                unitName: "total",
                helpText: "Tasks, cases and case log chunks deleted by the retention sweep"
            ),
            labels: [("kind", kind)]
        )
    }

    /// Results reported by agents per status.
    func results(status: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "testfleet_case_results", unitName: "total", helpText: "Case results accepted"),
            labels: [("status", status)]
        )
    }
}

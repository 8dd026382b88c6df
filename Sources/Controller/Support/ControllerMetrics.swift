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
        dbInFlight = Self.gauge("testfleet_db_queries_in_flight", "Database statements and transactions under way", in: registry)
        dbStatements = Self.counter("testfleet_db_statements", "SQL statements sent to PostgreSQL (BEGIN and COMMIT included)", in: registry)
        dbPoolMaxConnections = Self.gauge("testfleet_db_pool_max_connections", "Size of the database connection pool", in: registry)
        leasesGranted = Self.counter("testfleet_leases_granted", "Cases handed to agents", in: registry)
        leasesHanded = Self.counter(
            "testfleet_leases_handed",
            "Cases leased to a waiting agent by the statement that stored their task",
            in: registry
        )
        leaseWaiters = Self.gauge("testfleet_lease_waiters", "Lease requests waiting for work on this controller", in: registry)
        wakeups = Self.counter("testfleet_lease_wakeups", "Waiting lease requests woken by new work", in: registry)
        notificationsReceived = Self.counter("testfleet_work_notifications", "Work notifications received from PostgreSQL", in: registry)
        runsLost = Self.counter("testfleet_runs_lost", "Case runs whose lease expired without a result", in: registry)
        casesRequeued = Self.counter("testfleet_cases_requeued", "Cases put back in the queue after an infrastructure failure", in: registry)
        logBytesIngested = Self.counter("testfleet_log_bytes_ingested", "Case log bytes accepted from agents", in: registry)
    }

    /// A counter of events, in the registry's unit for counts.
    private static func counter(_ name: String, _ help: String, in registry: PrometheusCollectorRegistry) -> Counter {
        registry.makeCounter(descriptor: .init(metricName: name, unitName: "total", helpText: help))
    }

    /// A gauge: a number that goes up and down, without a unit.
    private static func gauge(_ name: String, _ help: String, in registry: PrometheusCollectorRegistry) -> Gauge {
        registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help))
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

    /// Results reported by agents per status; a case queued again because its agent handed it back as it stopped
    /// counts as `handed_back`, not as the `error` it is posted with: it did not fail.
    func results(status: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(metricName: "testfleet_case_results", unitName: "total", helpText: "Case results accepted"),
            labels: [("status", status)]
        )
    }
}

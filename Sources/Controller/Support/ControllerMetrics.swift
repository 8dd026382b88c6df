import Prometheus

/// The controller's Prometheus metrics, served at `/metrics`. Names say what they count, with units.
struct ControllerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    let dbQueryDuration: DurationHistogram
    let dbInFlight: Gauge
    let dbPoolMaxConnections: Gauge
    let leasesGranted: Counter
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
            name: "testfleet_db_query_duration_seconds", buckets: fast,
            help: "Time of database statements and transactions")
        dbInFlight = registry.makeGauge(
            name: "testfleet_db_queries_in_flight", help: "Database statements and transactions under way")
        dbPoolMaxConnections = registry.makeGauge(
            name: "testfleet_db_pool_max_connections", help: "Size of the database connection pool")
        leasesGranted = registry.makeCounter(name: "testfleet_leases_granted_total", help: "Cases handed to agents")
        leaseWaiters = registry.makeGauge(
            name: "testfleet_lease_waiters", help: "Lease requests waiting for work on this controller")
        wakeups = registry.makeCounter(
            name: "testfleet_lease_wakeups_total", help: "Waiting lease requests woken by new work")
        notificationsReceived = registry.makeCounter(
            name: "testfleet_work_notifications_total", help: "Work notifications received from PostgreSQL")
        runsLost = registry.makeCounter(
            name: "testfleet_runs_lost_total", help: "Case runs whose lease expired without a result")
        casesRequeued = registry.makeCounter(
            name: "testfleet_cases_requeued_total", help: "Cases put back in the queue after an infrastructure failure")
        logBytesIngested = registry.makeCounter(
            name: "testfleet_log_bytes_ingested_total", help: "Case log bytes accepted from agents")
    }

    /// Counter of answered HTTP requests per route, method and status.
    func requests(route: String, method: String, status: Int) -> Counter {
        registry.makeCounter(
            name: "testfleet_http_requests_total",
            labels: [("route", route), ("method", method), ("status", String(status))],
            help: "HTTP requests answered")
    }

    /// Duration of HTTP requests per route and method.
    func requestDuration(route: String, method: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            name: "testfleet_http_request_duration_seconds",
            labels: [("route", route), ("method", method)],
            buckets: [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(5), .seconds(30), .seconds(60),
            ],
            help: "Time to answer HTTP requests (long-polls included)")
    }

    /// Results reported by agents per status.
    func results(status: String) -> Counter {
        registry.makeCounter(
            name: "testfleet_case_results_total", labels: [("status", status)], help: "Case results accepted")
    }
}

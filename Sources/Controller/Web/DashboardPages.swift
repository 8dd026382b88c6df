import Foundation
import Hummingbird
import WireProtocol

/// The dashboard: running and queued tasks with their progress, the queue, the fleet by state and the latest
/// reports, kept current over server-sent events.
struct DashboardPages {
    let services: ControllerServices
    let renderer: WebRenderer

    /// What the dashboard shows.
    struct DashboardView: Sendable {
        /// How many nodes are in a state.
        struct StateCount: Sendable {
            var state: String
            var count: Int
            var href: String
        }

        var running: [TaskRow]
        /// `10+` when there are more than the dashboard lists.
        var runningCount: String
        var queued: [TaskRow]
        var queuedCases: Int
        var nodes: [StateCount]
        var nodeTotal: Int
        var hasNodes: Bool
        var reports: [TaskRow]
        var isAdmin: Bool
    }

    static let listLength = 10

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("/") { request, context -> Response in
            let user = try context.webUser(request)
            var page = frame(user, try await view(user))
            page.events = "/events/dashboard"
            return try renderer.page("dashboard", page)
        }
        web.get("events/dashboard") { request, context -> Response in
            let user = try context.webUser(request)
            return EventStream.response(context: context, initial: LiveRegions()) { regions in
                let page = frame(user, try await view(user))
                return .init(events: try regions.event(["dashboard-live": try renderer.fragment("dashboard-live", page)]))
            }
        }
    }

    private func frame(_ user: WebUser, _ view: DashboardView) -> PageFrame {
        renderer.frame("Dashboard", user, .dashboard, view)
    }

    /// A handful of queries, none of them per task or per case.
    private func view(_ user: WebUser) async throws -> DashboardView {
        let tasks = services.tasks
        let first = Pagination(limit: Self.listLength)
        let running = try await tasks.list(first, filter: .init(state: .running))
        let queued = try await tasks.list(first, filter: .init(state: .queued))
        let completed = try await tasks.list(first, filter: .init(state: .completed))
        let counts = try await services.nodes.countsByState()
        return DashboardView(
            running: running.items.map(TaskRow.init),
            runningCount: "\(running.items.count)" + (running.nextCursor == nil ? "" : "+"),
            queued: queued.items.map(TaskRow.init),
            queuedCases: try await tasks.queuedCaseCount(),
            nodes: NodeState.allCases.map {
                DashboardView.StateCount(state: $0.rawValue, count: counts[$0] ?? 0, href: "/nodes?state=\($0.rawValue)")
            },
            nodeTotal: counts.values.reduce(0, +),
            hasNodes: !counts.isEmpty,
            reports: completed.items.filter { $0.reportUrl != nil }.map(TaskRow.init),
            isAdmin: user.isAdmin
        )
    }
}

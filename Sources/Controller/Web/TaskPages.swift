import Foundation
import Hummingbird
import WireProtocol

/// Tasks: the list, the submit form, a task's page with its live case table, cancelling, rerunning, deleting, and
/// the report.
struct TaskPages {
    let services: ControllerServices
    let renderer: WebRenderer

    func addRoutes(to web: RouterGroup<AppRequestContext>) {
        web.get("tasks") { request, context -> Response in
            let user = try context.webUser(request)
            let view = try await listView(request)
            return try renderer.page("tasks", renderer.frame("Tasks", user, .tasks, view))
        }
        web.get("tasks/new") { request, context -> Response in
            let user = try context.webUser(request)
            var values: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
            let view = try await NewTaskView.load(catalog: services.catalog, values: values, error: nil)
            return try renderer.page("task-new", renderer.frame("New task", user, .submit, view))
        }
        web.post("tasks") { request, context -> Response in
            let (user, form) = try await context.webForm(request)
            if form["step"] == "tools" {
                // Without the script: the form again, listing the chosen product's tools, with what was typed.
                return try await newTaskPage(user, values: form, error: nil, status: .ok)
            }
            do {
                let id = try await services.submit(try NewTaskView.submission(form), by: user.caller).id
                context.logger.info("task submitted", metadata: ["testfleet.task.id": .stringConvertible(id)])
                return WebRedirect(location: "/tasks/\(id)").response
            } catch {
                guard let error = AppError.refusal(error, among: [.unprocessableContent, .forbidden]) else { throw error }
                return try await newTaskPage(user, values: form, error: error.message, status: error.status)
            }
        }
        web.get("tasks/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let view = try await taskView(try request.id(context), request, user: user)
            var page = renderer.frame(view.task.name, user, .tasks, view)
            page.events = view.settled ? nil : view.events
            return try renderer.page("task", page)
        }
        web.button("tasks/:id/cancel") { user, id, context in
            try await services.tasks.cancel(id: id, by: user.caller, completion: services.completion)
            context.logger.info("task cancelled", metadata: ["testfleet.task.id": .stringConvertible(id)])
            return "/tasks/\(id)"
        }
        web.button("tasks/:id/rerun") { user, id, context in
            let stored = try await services.rerun(taskID: id, RerunRequest(cases: .failed), by: user.caller)
            context.logger.info("task rerun", metadata: ["testfleet.task.id": .stringConvertible(stored.id)])
            return "/tasks/\(stored.id)"
        }
        web.button("tasks/:id/delete") { user, id, context in
            try await services.tasks.delete(id: id, by: user.caller)
            context.logger.info("task deleted", metadata: ["testfleet.task.id": .stringConvertible(id)])
            return "/tasks"
        }
        web.get("tasks/:id/report") { request, context -> Response in
            let user = try context.webUser(request)
            let id = try request.id(context)
            let report = try await ReportRoutes(services: services).report(id)
            let view = ReportView(taskID: id, taskName: report.taskName, content: HTMLReportRenderer.content(report, links: false))
            return try renderer.page("report", renderer.frame("Report — \(report.taskName)", user, .tasks, view))
        }
        web.get("events/tasks/:id") { request, context -> Response in
            let user = try context.webUser(request)
            let id = try request.id(context)
            _ = try await taskView(id, request, user: user)  // bad parameters fail here, as a page, not inside the stream
            return EventStream.response(context: context, initial: LiveRegions()) { regions in
                let view = try await taskView(id, request, user: user)
                let page = renderer.frame(view.task.name, user, .tasks, view)
                let events = try regions.event([
                    "task-live": try renderer.fragment("task-live", page),
                    "case-table": try renderer.fragment("case-table", page),
                ])
                return .init(events: events + (view.settled ? [.end] : []), done: view.settled)
            }
        }
    }

    /// The report page: the report renderer's HTML inside the site's layout.
    struct ReportView {
        var taskID: Int64
        var taskName: String
        /// Rendered and escaped by ``HTMLReportRenderer``.
        var content: String
    }

    /// The submit form filled in with a submitted form's values, the uploaded cases in the text area.
    private func newTaskPage(_ user: WebUser, values form: WebForm, error: String?, status: HTTPResponse.Status) async throws -> Response {
        var values = form.firstValues
        values["cases"] = NewTaskView.caseText(form)
        let view = try await NewTaskView.load(catalog: services.catalog, values: values, error: error)
        return try renderer.page("task-new", renderer.frame("New task", user, .submit, view), status: status)
    }

    /// A task with its counts (aggregates), ETA and one page of cases: a constant number of queries, however
    /// many cases the task has.
    private func taskView(_ id: Int64, _ request: Request, user: WebUser) async throws -> TaskPageView {
        let state = try request.query("state", as: CaseState.self)
        let pagination = try Pagination(request)
        let task = try await services.taskDetail(id: id)
        let cases = try await services.tasks.cases(taskID: id, pagination, state: state)
        // What the report says about tests, once there is one.
        let report = task.tests != nil && task.reportUrl != nil ? try await ReportRoutes(services: services).report(id) : nil
        return TaskPageView(task, cases: cases, state: state, pagination: pagination, viewer: user.caller, report: report)
    }

    private func listView(_ request: Request) async throws -> TaskListView {
        let filter = try TaskRepository.ListFilter(request)
        let pagination = try Pagination(request)
        let tasks = try await services.tasks.list(pagination, filter: filter)
        let products = try await services.catalog.list(Product.self, Pagination(limit: Pagination.maximumLimit), name: nil).items
        return TaskListView(tasks: tasks, filter: filter, products: products, pagination: pagination)
    }
}

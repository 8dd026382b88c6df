import Foundation
import WireProtocol

/// The task list with its filters.
struct TaskListView: Sendable {
    typealias Option = SelectOption

    var tasks: [TaskRow]
    var states: [Option]
    var products: [Option]
    var user: String
    var filtered: Bool
    var pages: PageLinks

    init(tasks: Page<TaskInfo>, filter: TaskRepository.ListFilter, products: [Product], pagination: Pagination) {
        self.tasks = tasks.items.map(TaskRow.init)
        states = TaskState.allCases.map {
            Option(value: $0.rawValue, label: WebFormat.state($0.rawValue), selected: $0 == filter.state)
        }
        self.products = products.sorted { ($0.name, $0.version) < ($1.name, $1.version) }.map {
            Option(value: String($0.id), label: "\($0.name) \($0.version)", selected: $0.id == filter.productID)
        }
        user = filter.user ?? ""
        filtered = filter.state != nil || filter.productID != nil || filter.user != nil
        var query: [(String, String)] = []
        if let state = filter.state { query.append(("state", state.rawValue)) }
        if let product = filter.productID { query.append(("product_id", String(product))) }
        if let user = filter.user { query.append(("user", user)) }
        pages = PageLinks.make(base: "/tasks", query: query, pagination: pagination, nextCursor: tasks.nextCursor, dense: false)
    }
}

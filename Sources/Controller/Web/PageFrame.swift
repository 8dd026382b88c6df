import Foundation

/// What every page shows around its content: the signed-in user, the CSRF token forms carry, the
/// navigation, and the stream of live updates it follows. Templates reach the content as `page`.
struct PageFrame {
    /// A part of the site in the navigation.
    enum Section: String, CaseIterable, Sendable {
        case dashboard, tasks, submit, nodes, products, tools, admin

        var label: String {
            switch self {
            case .dashboard: "Dashboard"
            case .tasks: "Tasks"
            case .submit: "New task"
            case .nodes: "Nodes"
            case .products: "Products"
            case .tools: "Tools"
            case .admin: "Admin"
            }
        }

        var href: String {
            switch self {
            case .dashboard: "/"
            case .tasks: "/tasks"
            case .submit: "/tasks/new"
            case .nodes: "/nodes"
            case .products: "/products"
            case .tools: "/tools"
            case .admin: "/admin"
            }
        }
    }

    /// A link of the main navigation.
    struct NavItem {
        var label: String
        var href: String
        var current: Bool
    }

    /// The signed-in user, as the header shows them.
    struct UserView {
        var username: String
        var role: String
    }

    var title: String
    var user: UserView?
    var csrfToken: String
    var nav: [NavItem]
    var assetVersion: String
    /// The server-sent-event URL the page's script follows for live updates.
    var events: String?
    /// A one-line message at the top of the page (after an action).
    var notice: String?
    var page: Any

    init(title: String, user: WebUser?, section: Section?, assetVersion: String, events: String? = nil, notice: String? = nil, page: Any) {
        self.title = title
        self.user = user.map { UserView(username: $0.username, role: $0.role.rawValue) }
        self.csrfToken = user?.csrfToken ?? ""
        self.nav =
            user == nil
            ? [] : Section.allCases.map { NavItem(label: $0.label, href: $0.href, current: $0 == section) }
        self.assetVersion = assetVersion
        self.events = events
        self.notice = notice
        self.page = page
    }
}

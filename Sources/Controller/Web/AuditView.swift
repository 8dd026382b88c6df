import Foundation
import WireProtocol

/// The audit log page: entries newest first, filtered by actor and action, a page at a time.
struct AuditView: Sendable {
    /// One entry as the table shows it.
    struct Row: Sendable {
        var at: TimeView
        var actor: String
        var action: String
        var target: String
        var detail: String
        var address: String

        init(_ entry: AuditEntry) {
            at = TimeView(entry.at)
            actor = entry.actor
            action = entry.action
            target = entry.target.kind.replacingOccurrences(of: "_", with: " ") + (entry.target.id.map { " \($0)" } ?? "")
            detail = entry.detail
            address = entry.address ?? "—"
        }
    }

    var audit: [Row]
    var actor: String
    var actions: [SelectOption]
    var pages: PageLinks

    init(page: Page<AuditEntry>, filter: AuditLog.Filter, pagination: Pagination) {
        audit = page.items.map(Row.init)
        actor = filter.actor ?? ""
        actions =
            [SelectOption(value: "", label: "any action", selected: filter.action == nil)]
            + AuditAction.allCases.map { SelectOption(value: $0.rawValue, label: $0.rawValue, selected: $0.rawValue == filter.action) }
        let query = [("actor", filter.actor), ("action", filter.action)].compactMap { name, value in value.map { (name, $0) } }
        pages = PageLinks.make(base: "/admin/audit", query: query, pagination: pagination, nextCursor: page.nextCursor, dense: false)
    }
}

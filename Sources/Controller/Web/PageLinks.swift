import Foundation
import WireProtocol

/// Links between the pages of a list.
struct PageLinks: Sendable {
    private(set) var first: String?
    private(set) var previous: String?
    private(set) var next: String?
    /// Some link is there. Stored rather than computed, as templates read stored properties only.
    private(set) var any = false

    /// Links for a list at `base` whose cursor is the last id (or ordinal) of the page before. `dense` lists
    /// have every id (a task's case ordinals): there, the previous page is one page size back.
    static func make(
        base: String,
        query: [(String, String)],
        pagination: Pagination,
        nextCursor: String?,
        dense: Bool
    )
        -> PageLinks
    {
        let size = pagination.limit == Pagination.defaultLimit ? [] : [("limit", String(pagination.limit))]
        func link(_ cursor: Int64?) -> String {
            let items = query + size + (cursor.map { [("cursor", String($0))] } ?? [])
            guard !items.isEmpty else { return base }
            return base + "?" + items.map { "\($0.0)=\(WebRedirect.queryEscape($0.1))" }.joined(separator: "&")
        }
        var links = PageLinks()
        if let after = pagination.after, after > 0 {
            links.first = link(nil)
            if dense, after > Int64(pagination.limit) { links.previous = link(after - Int64(pagination.limit)) }
        }
        if let nextCursor, let cursor = Int64(nextCursor) { links.next = link(cursor) }
        links.any = links.first != nil || links.previous != nil || links.next != nil
        return links
    }
}

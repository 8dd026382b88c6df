import Foundation
import WireProtocol

/// A list of products or tools with the create form, holding the values and the error of a failed attempt.
struct CatalogListView<Item: Sendable>: Sendable {
    var items: [Item]
    var isAdmin: Bool
    var pages: PageLinks
    var error: String?
    var form: [String: String]

    init(items: [Item], base: String, pagination: Pagination, nextCursor: String?, isAdmin: Bool, error: String?, form: [String: String]) {
        self.items = items
        self.isAdmin = isAdmin
        pages = PageLinks.make(base: base, query: [], pagination: pagination, nextCursor: nextCursor, dense: false)
        self.error = error
        self.form = form
    }
}

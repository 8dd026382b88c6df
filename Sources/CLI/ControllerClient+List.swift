import ControllerClient
import Foundation
import WireProtocol

extension ControllerClient {
    /// Up to `limit` items of a list endpoint, following its cursors.
    func list<Item: Codable & Sendable>(_ path: String, query: [String: String] = [:], limit: Int, as type: Item.Type) async throws -> [Item] {
        var items: [Item] = []
        var cursor: String?
        repeat {
            var parameters = query
            parameters["limit"] = String(min(limit - items.count, 500))
            if let cursor { parameters["cursor"] = cursor }
            let page = try await call(.GET, path + Self.queryString(parameters), as: Page<Item>.self)
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil && items.count < limit
        return Array(items.prefix(limit))
    }

    static func queryString(_ parameters: [String: String]) -> String {
        guard !parameters.isEmpty else { return "" }
        var components = URLComponents()
        components.queryItems = parameters.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        return "?" + (components.percentEncodedQuery ?? "")
    }
}

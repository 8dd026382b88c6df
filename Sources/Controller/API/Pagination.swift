import Hummingbird
import WireProtocol

/// `limit` and `cursor` of a list request. Cursors are the last id of the previous page.
struct Pagination: Sendable {
    var limit: Int
    var after: Int64?

    static let defaultLimit = 100
    static let maximumLimit = 1000

    init(limit: Int = Pagination.defaultLimit, after: Int64? = nil) {
        self.limit = limit
        self.after = after
    }

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"].map(String.init) {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw AppError.unprocessable("limit: expected a whole number from 1 to \(Self.maximumLimit), got \(text)")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        if let text = query["cursor"].map(String.init), !text.isEmpty {
            guard let value = Int64(text) else { throw AppError.unprocessable("cursor: not a cursor from a previous page") }
            after = value
        }
    }

    /// A page from rows fetched with `limit + 1`: the extra row only says there is more.
    func page<Item>(_ rows: [Item], id: (Item) -> Int64) -> Page<Item> {
        guard rows.count > limit else { return Page(items: rows, nextCursor: nil) }
        let items = Array(rows.prefix(limit))
        return Page(items: items, nextCursor: items.last.map { String(id($0)) })
    }
}

extension Request {
    /// A query parameter, or `nil` when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters[name[...]], !value.isEmpty else { return nil }
        return String(value)
    }

    /// A query parameter that names one of an enumeration's values; `nil` when absent, 422 listing the values
    /// when it is something else.
    func query<Value: RawRepresentable & CaseIterable>(_ name: String, as type: Value.Type) throws -> Value?
    where Value.RawValue == String {
        guard let text = query(name) else { return nil }
        guard let value = Value(rawValue: text) else {
            throw AppError.unprocessable("\(name): expected one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A path parameter parsed as an id; 404 when it is not a number.
    func id(_ context: AppRequestContext, _ name: String = "id") throws -> Int64 {
        guard let text = context.parameters.get(name), let value = Int64(text), value > 0 else {
            throw AppError.notFound("no such \(name == "id" ? "item" : name): \(context.parameters.get(name) ?? "")")
        }
        return value
    }
}

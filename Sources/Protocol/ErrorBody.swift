/// The body of every error response: `{"error": {"message": "..."}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var message: String
        /// For a refused log chunk: the byte offset the controller holds, to resend from.
        public var offset: Int64?

        public init(message: String, offset: Int64? = nil) {
            self.message = message
            self.offset = offset
        }
    }

    public var error: Detail

    public init(message: String, offset: Int64? = nil) {
        self.error = Detail(message: message, offset: offset)
    }
}

/// One page of a list: every list endpoint answers with this shape.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    /// Pass as `cursor` to get the next page; absent on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// A list that is not paged: `{"items": [...]}` (a product's tools, for one).
public struct ItemList<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]

    public init(items: [Item]) { self.items = items }
}

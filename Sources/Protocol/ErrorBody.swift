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

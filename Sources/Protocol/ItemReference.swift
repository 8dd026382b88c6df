import Foundation

/// A product or tool named in a task submission: by `id`, or by `name` and `version`.
public struct ItemReference: Codable, Sendable, Equatable {
    public var id: Int64?
    public var name: String?
    public var version: String?

    public init(id: Int64? = nil, name: String? = nil, version: String? = nil) {
        self.id = id
        self.name = name
        self.version = version
    }

    /// `NAME@VERSION`, split at the last `@` (names may contain one); `nil` when either part is empty.
    public init?(nameAtVersion text: String) {
        guard let at = text.lastIndex(of: "@") else { return nil }
        let name = String(text[..<at])
        let version = String(text[text.index(after: at)...])
        guard !name.isEmpty, !version.isEmpty else { return nil }
        self.init(name: name, version: version)
    }
}

import Foundation

/// Body of `POST /api/v1/tasks/{id}/rerun`; the new task is the caller's, with the original's product, tool,
/// priority, timeout, retries and labels.
public struct RerunRequest: Codable, Sendable {
    /// Default: the failed cases.
    public var cases: RerunSelection?
    /// Default: "rerun of" and the original's name.
    public var name: String?

    public init(cases: RerunSelection? = nil, name: String? = nil) {
        self.cases = cases
        self.name = name
    }
}

import Foundation
import PostgresNIO
import WireProtocol

/// Tools keep their run command and default case timeout in columns of their own.
extension ToolDetails: StoredCatalogDetails {
    static var columns: [String] { ["run_command", "default_timeout_s"] }

    init(_ row: PostgresRandomAccessRow) throws {
        self.init(runCommand: try row["run_command"].decode(String.self), defaultTimeoutS: try row["default_timeout_s"].decode(Int.self))
    }

    static func validate(_ input: Input) throws {
        guard !input.runCommand.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.invalid("run_command: must not be empty")
        }
        guard input.runCommand.count <= 10000 else { throw StoreError.invalid("run_command: at most 10000 characters") }
        if let timeout = input.defaultTimeoutS, !(1...(7 * 86400)).contains(timeout) {
            throw StoreError.invalid("default_timeout_s: expected 1 to 604800, got \(timeout)")
        }
    }

    /// A missing timeout is left to the column: its default (600 s) on creation, unchanged on edit.
    static func write(_ input: Input, to columns: inout CatalogColumns) {
        columns.set("run_command", input.runCommand)
        if let timeout = input.defaultTimeoutS { columns.set("default_timeout_s", timeout) }
    }

    static func cached(_ item: Tool) -> CatalogRepository.CachedItem { .tool(item) }

    static func item(in cached: CatalogRepository.CachedItem) -> Tool? {
        guard case .tool(let tool) = cached else { return nil }
        return tool
    }
}

import Foundation

/// One step of the schema, applied once, in order of `version`.
struct Migration: Sendable {
    var version: Int
    var name: String
    var sql: String

    /// Every migration, oldest first. Append new ones; never edit one that has shipped.
    static let all: [Migration] = [
        .schema,
        .runningCounts,
        .downloadChecksums,
        .userAdministration,
        .caseTests,
        .lifecycle,
        .handBacks,
    ]
}

extension Migration {
    /// The migration's statements one by one: the extended query protocol takes one statement at a time.
    /// Statements end with a semicolon at the end of a line.
    var statements: [String] {
        sql.split(separator: "\n", omittingEmptySubsequences: false)
            .reduce(into: [""]) { statements, line in
                statements[statements.count - 1] += line + "\n"
                if line.trimmingCharacters(in: .whitespaces).hasSuffix(";") { statements.append("") }
            }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty && !$0.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") } }
    }
}

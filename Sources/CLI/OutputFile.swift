import Foundation

/// Where a command writes a document: a file, or standard output for `-`.
enum OutputFile {
    static func write(_ data: Data, to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(data)
            return
        }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError.failure("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

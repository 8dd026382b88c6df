import Foundation

/// Unpacks `.tar.gz`, `.tgz`, `.tar` and `.zip` artifacts safely into a directory.
enum ArchiveExtractor {
    enum Kind {
        case tarGzip, tar, zip
    }

    static func kind(of filename: String) -> Kind? {
        let lower = filename.lowercased()
        if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") { return .tarGzip }
        if lower.hasSuffix(".tar") { return .tar }
        if lower.hasSuffix(".zip") { return .zip }
        return nil
    }

    /// Unpacks `archive` into `directory`; returns the number of entries.
    static func extract(_ archive: URL, kind: Kind, into directory: URL, limit: Int64 = 64 << 30) throws -> Int {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var extraction = SafeExtraction(root: directory, limit: limit)
        switch kind {
        case .zip:
            return try ZipReader.extract(archive, into: &extraction)
        case .tar, .tarGzip:
            var reader = TarReader(extraction: extraction)
            let inflater = kind == .tarGzip ? try Inflater(format: .gzip) : nil
            let handle = try FileHandle(forReadingFrom: archive)
            defer { try? handle.close() }
            while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
                if let inflater {
                    try inflater.feed(piece) { try reader.feed($0) }
                } else {
                    try reader.feed(piece)
                }
                if reader.finished { break }
            }
            guard reader.finished || reader.entries > 0 else { throw AgentError("the archive is empty or truncated") }
            return reader.entries
        }
    }
}

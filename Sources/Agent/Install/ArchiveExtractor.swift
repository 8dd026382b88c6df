import Foundation

/// Unpacks `.tar.gz`, `.tgz`, `.tar` and `.zip` artifacts into a directory, safely (``SafeExtraction``) and
/// completely: a truncated or corrupt archive is an error, never a partial success. The caller unpacks into
/// a staging directory (``StagingDirectory``) and removes it when this throws.
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

    /// Unpacks `archive` into `directory` (created when missing); returns the number of entries.
    static func extract(_ archive: URL, kind: Kind, into directory: URL, limits: ArchiveLimits = ArchiveLimits()) throws -> Int {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let handle = try FileHandle(forReadingFrom: archive)
        defer { try? handle.close() }
        let size = Int64(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        let extraction = try SafeExtraction(root: directory, budget: limits.budget(archiveSize: size))
        let entries: Int
        switch kind {
        case .zip:
            entries = try ZipReader.extract(archive, into: extraction)
        case .tar, .tarGzip:
            var reader = TarReader(extraction: extraction)
            let inflater = kind == .tarGzip ? try Inflater(format: .gzip) : nil
            // Read to the end even after the end-of-archive marker, so that the gzip trailer is checked.
            while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
                if let inflater {
                    try inflater.feed(piece) { try reader.feed($0) }
                } else {
                    try reader.feed(piece)
                }
            }
            try inflater?.finish()
            try reader.finish()
            entries = reader.entries
        }
        try extraction.finish()
        return entries
    }
}

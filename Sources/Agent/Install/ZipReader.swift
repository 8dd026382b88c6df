import CZlib
import Foundation

/// Unpacks a zip file (stored and deflated entries, ZIP64 included) through ``SafeExtraction``. What the
/// central directory declares is checked before anything is written (total size against the budget, entries
/// that overlap) and each entry's content against it after (size and CRC-32).
enum ZipReader {
    static func extract(_ file: URL, into extraction: SafeExtraction) throws -> Int {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let directory = try ZipDirectory.read(size: size) { offset, count in
            try handle.seek(toOffset: offset)
            return [UInt8](try handle.read(upToCount: count) ?? Data())
        }
        try check(directory, archiveSize: size, budget: extraction.budget)
        var extracted = 0
        for entry in directory.entries {
            if entry.isDirectory {
                try extraction.makeDirectory(entry.name)
                continue
            }
            try extractEntry(entry, from: handle, archiveSize: size, into: extraction)
            extracted += 1
        }
        return extracted
    }

    /// Refuses what the directory alone shows to be wrong: more than the budget, encrypted or unknown
    /// entries, devices, entries whose data overlap (one way to build a zip bomb).
    static func check(_ directory: ZipDirectory, archiveSize: UInt64, budget: Int64) throws {
        var declared: UInt64 = 0
        for entry in directory.entries {
            guard entry.flags & 1 == 0 else { throw AgentError("refusing zip entry \(entry.name): it is encrypted") }
            guard entry.method == 0 || entry.method == 8 else {
                throw AgentError("refusing zip entry \(entry.name): compression method \(entry.method) is not supported (only stored and deflated)")
            }
            guard !entry.isSpecial else { throw AgentError("refusing zip entry \(entry.name): it is a device, FIFO or socket") }
            guard entry.method == 8 || entry.size == entry.compressedSize else {
                throw AgentError("corrupt zip: stored entry \(entry.name) has different sizes")
            }
            declared = declared.addingReportingOverflow(entry.size).partialValue
            guard declared <= UInt64(budget) else {
                throw AgentError("refusing the archive: it declares more than \(budget) bytes unpacked, more than it may unpack to")
            }
        }
        let starts = directory.entries.map(\.localHeaderOffset).sorted()
        for (index, entry) in directory.entries.sorted(by: { $0.localHeaderOffset < $1.localHeaderOffset }).enumerated() {
            let end = entry.localHeaderOffset.addingReportingOverflow(30 + entry.compressedSize).partialValue
            guard end <= archiveSize else { throw AgentError("the archive is truncated: zip entry \(entry.name) lies beyond its end") }
            if index + 1 < starts.count, end > starts[index + 1] {
                throw AgentError("refusing the archive: zip entry \(entry.name) overlaps the next one")
            }
        }
    }

    private static func extractEntry(
        _ entry: ZipDirectory.Entry,
        from handle: FileHandle,
        archiveSize: UInt64,
        into extraction: SafeExtraction
    ) throws {
        try handle.seek(toOffset: entry.localHeaderOffset)
        let local = [UInt8](try handle.read(upToCount: 30) ?? Data())
        guard local.count == 30, local[0..<4].elementsEqual([0x50, 0x4B, 0x03, 0x04]) else {
            throw AgentError("corrupt zip: no local header for entry \(entry.name)")
        }
        let dataStart = entry.localHeaderOffset + 30 + UInt64(ZipDirectory.le16(local, 26)) + UInt64(ZipDirectory.le16(local, 28))
        guard dataStart + entry.compressedSize <= archiveSize else {
            throw AgentError("the archive is truncated: zip entry \(entry.name) lies beyond its end")
        }
        try handle.seek(toOffset: dataStart)
        var content = Data()
        let output: FileHandle? = entry.isSymlink ? nil : try extraction.createFile(entry.name, mode: Int((entry.unixMode ?? 0) & 0o7777))
        let inflater = entry.method == 8 ? try Inflater(format: .raw) : nil
        var crc = crc32(0, nil, 0)
        var written: UInt64 = 0
        func write(_ data: Data) throws {
            written += UInt64(data.count)
            guard written <= entry.size else {
                throw AgentError("refusing zip entry \(entry.name): it unpacks to more than its declared \(entry.size) bytes")
            }
            crc = data.withUnsafeBytes { crc32(crc, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count)) }
            if let output {
                try extraction.count(data.count)
                try output.write(contentsOf: data)
            } else {
                guard content.count + data.count <= 4096 else { throw AgentError("refusing zip entry \(entry.name): a link target that long") }
                content.append(data)
            }
        }
        var remaining = entry.compressedSize
        while remaining > 0 {
            let piece = try handle.read(upToCount: Int(min(remaining, 1 << 20))) ?? Data()
            guard !piece.isEmpty else { throw AgentError("the archive is truncated: zip entry \(entry.name) ends early") }
            remaining -= UInt64(piece.count)
            do {
                if let inflater { try inflater.feed(piece, write) } else { try write(piece) }
            } catch let error as AgentError where error.description.hasPrefix("the archive is corrupt") {
                throw AgentError("zip entry \(entry.name): \(error)")
            }
        }
        do {
            try inflater?.finish()
        } catch {
            throw AgentError("the archive is truncated or corrupt: the compressed data of zip entry \(entry.name) ends early")
        }
        try output?.close()
        guard written == entry.size else {
            throw AgentError("corrupt zip: entry \(entry.name) unpacks to \(written) bytes, its header says \(entry.size)")
        }
        guard UInt32(crc) == entry.crc32 else {
            throw AgentError("corrupt zip: entry \(entry.name) fails its CRC-32 check")
        }
        if entry.isSymlink {
            try extraction.symlink(entry.name, target: String(decoding: content, as: UTF8.self))
        }
    }
}

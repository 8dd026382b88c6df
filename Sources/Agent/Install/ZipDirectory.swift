import Foundation

/// A zip file's central directory: every entry with its declared sizes, checksum and place, ZIP64 included.
/// Reading is pure over a function that returns the bytes at an offset, so tests can hand it any bytes.
struct ZipDirectory {
    /// One entry as the central directory declares it.
    struct Entry: Equatable {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc32: UInt32
        var compressedSize: UInt64
        var size: UInt64
        var localHeaderOffset: UInt64
        /// The Unix file type and permission bits, when the entry was made on Unix.
        var unixMode: UInt32?

        var isDirectory: Bool { name.hasSuffix("/") || unixMode.map { $0 & 0o170000 == 0o040000 } == true }
        var isSymlink: Bool { unixMode.map { $0 & 0o170000 == 0o120000 } == true }
        /// A device, FIFO or socket: never unpacked.
        var isSpecial: Bool {
            guard let type = unixMode.map({ $0 & 0o170000 }), type != 0 else { return false }
            return ![0o100000, 0o040000, 0o120000].contains(type)
        }
    }

    var entries: [Entry]

    /// Reads `count` bytes at `offset`; fewer mean the file ends there.
    typealias Reader = (_ offset: UInt64, _ count: Int) throws -> [UInt8]

    /// The most bytes of central directory read into memory.
    static let directoryLimit: UInt64 = 256 << 20

    /// Reads the central directory of a zip file of `size` bytes.
    static func read(size: UInt64, _ read: Reader) throws -> ZipDirectory {
        // The end of central directory record is in the last 64 KiB + 22 bytes.
        let tailLength = min(size, 65_557)
        let tail = try read(size - tailLength, Int(tailLength))
        guard tail.count >= 22,
            let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: { tail[$0..<($0 + 4)].elementsEqual([0x50, 0x4B, 0x05, 0x06]) })
        else { throw AgentError("not a zip file, or a truncated one: no end of central directory record") }
        let endOffset = size - tailLength + UInt64(end)
        var count = UInt64(le16(tail, end + 10))
        var directorySize = UInt64(le32(tail, end + 12))
        var directoryOffset = UInt64(le32(tail, end + 16))
        guard le16(tail, end + 4) == 0, le16(tail, end + 6) == 0 || le16(tail, end + 6) == 0xFFFF else {
            throw AgentError("refusing a zip archive split over several files")
        }
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the record points at the ZIP64 end of central directory record.
            guard endOffset >= 20 else { throw AgentError("corrupt zip: ZIP64 locator missing") }
            let locator = try read(endOffset - 20, 20)
            guard locator.count == 20, locator[0..<4].elementsEqual([0x50, 0x4B, 0x06, 0x07]) else {
                throw AgentError("corrupt zip: ZIP64 locator missing")
            }
            let record = try read(le64(locator, 8), 56)
            guard record.count == 56, record[0..<4].elementsEqual([0x50, 0x4B, 0x06, 0x06]) else {
                throw AgentError("corrupt zip: ZIP64 end of central directory record missing")
            }
            count = le64(record, 32)
            directorySize = le64(record, 40)
            directoryOffset = le64(record, 48)
        }
        guard directorySize <= directoryLimit else {
            throw AgentError("refusing the archive: its central directory has \(directorySize) bytes (at most \(directoryLimit))")
        }
        guard directoryOffset.addingReportingOverflow(directorySize).partialValue <= size, count <= directorySize / 46 else {
            throw AgentError("the archive is truncated or corrupt: its central directory lies beyond its end")
        }
        let directory = try read(directoryOffset, Int(directorySize))
        guard directory.count == Int(directorySize) else { throw AgentError("the archive is truncated: its central directory ends early") }
        var entries: [Entry] = []
        var position = 0
        for _ in 0..<count {
            let (entry, next) = try Self.entry(directory, at: position)
            entries.append(entry)
            position = next
        }
        return ZipDirectory(entries: entries)
    }

    /// One central directory header at `position`, and where the next one starts.
    private static func entry(_ bytes: [UInt8], at position: Int) throws -> (Entry, Int) {
        guard position + 46 <= bytes.count, bytes[position..<(position + 4)].elementsEqual([0x50, 0x4B, 0x01, 0x02]) else {
            throw AgentError("corrupt zip central directory")
        }
        let nameLength = Int(le16(bytes, position + 28))
        let extraLength = Int(le16(bytes, position + 30))
        let commentLength = Int(le16(bytes, position + 32))
        let next = position + 46 + nameLength + extraLength + commentLength
        guard next <= bytes.count else { throw AgentError("corrupt zip central directory") }
        let name = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
        let madeOnUnix = bytes[position + 5] == 3
        var entry = Entry(
            name: name,
            method: le16(bytes, position + 10),
            flags: le16(bytes, position + 8),
            crc32: le32(bytes, position + 16),
            compressedSize: UInt64(le32(bytes, position + 20)),
            size: UInt64(le32(bytes, position + 24)),
            localHeaderOffset: UInt64(le32(bytes, position + 42)),
            unixMode: madeOnUnix ? le32(bytes, position + 38) >> 16 : nil
        )
        if entry.size == 0xFFFF_FFFF || entry.compressedSize == 0xFFFF_FFFF || entry.localHeaderOffset == 0xFFFF_FFFF {
            try readZip64Extra(Array(bytes[(position + 46 + nameLength)..<(position + 46 + nameLength + extraLength)]), into: &entry)
        }
        return (entry, next)
    }

    /// Fills the sizes and offset a ZIP64 extra field (id 1) holds, in its order, for those marked 0xFFFFFFFF.
    private static func readZip64Extra(_ extra: [UInt8], into entry: inout Entry) throws {
        var position = 0
        while position + 4 <= extra.count {
            let id = le16(extra, position)
            let length = Int(le16(extra, position + 2))
            let body = position + 4
            guard body + length <= extra.count else { break }
            if id == 1 {
                var field = body
                func next() throws -> UInt64 {
                    guard field + 8 <= body + length else { throw AgentError("corrupt zip: entry \(entry.name) has a short ZIP64 field") }
                    defer { field += 8 }
                    return le64(extra, field)
                }
                if entry.size == 0xFFFF_FFFF { entry.size = try next() }
                if entry.compressedSize == 0xFFFF_FFFF { entry.compressedSize = try next() }
                if entry.localHeaderOffset == 0xFFFF_FFFF { entry.localHeaderOffset = try next() }
                return
            }
            position = body + length
        }
        throw AgentError("corrupt zip: entry \(entry.name) lacks its ZIP64 sizes")
    }

    static func le16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func le32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(le16(bytes, offset)) | UInt32(le16(bytes, offset + 2)) << 16
    }

    static func le64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        UInt64(le32(bytes, offset)) | UInt64(le32(bytes, offset + 4)) << 32
    }
}

import Foundation

/// Unpacks a tar stream (ustar, GNU long names, pax paths and sizes) fed in pieces, through
/// ``SafeExtraction``. ``finish()`` refuses a stream that ends inside an entry or before the end-of-archive
/// marker.
struct TarReader {
    private let extraction: SafeExtraction
    /// Bytes fed and not yet used, from `position` on; the used ones are dropped at the next feed, so that
    /// each byte is moved once however many entries a piece holds.
    private var buffer: [UInt8] = []
    private var position = 0
    /// The entry whose content is being read.
    private var current: (name: String, handle: FileHandle?, remaining: Int64, padding: Int64)?
    private var longName: String?
    private var longLink: String?
    private var pax: [String: String] = [:]
    /// Collecting a GNU long name or a pax header's content.
    private var metadata: (type: UInt8, remaining: Int64, padding: Int64)?
    private(set) var finished = false
    private(set) var entries = 0

    /// Longest GNU long name or pax header read into memory.
    static let metadataLimit: Int64 = 1 << 20

    init(extraction: SafeExtraction) {
        self.extraction = extraction
    }

    mutating func feed(_ data: Data) throws {
        // What follows the end-of-archive marker is padding.
        guard !finished else { return }
        buffer.removeFirst(position)
        position = 0
        buffer.append(contentsOf: data)
        while !finished {
            let available = buffer.count - position
            if var entry = current {
                if entry.remaining > 0 {
                    guard available > 0 else { return }
                    let count = Int(min(Int64(available), entry.remaining))
                    if let handle = entry.handle {
                        try extraction.count(count)
                        try handle.write(contentsOf: buffer[position..<(position + count)])
                    }
                    position += count
                    entry.remaining -= Int64(count)
                    current = entry
                    continue
                }
                guard Int64(available) >= entry.padding else { return }
                position += Int(entry.padding)
                try entry.handle?.close()
                current = nil
                continue
            }
            if let meta = metadata {
                let needed = meta.remaining + meta.padding
                guard Int64(available) >= needed else { return }
                let content = Data(buffer[position..<(position + Int(meta.remaining))])
                position += Int(needed)
                metadata = nil
                applyMetadata(type: meta.type, data: content)
                continue
            }
            guard available >= 512 else { return }
            let header = Array(buffer[position..<(position + 512)])
            position += 512
            if header.allSatisfy({ $0 == 0 }) {
                finished = true
                return
            }
            try readHeader(header)
        }
    }

    /// Refuses a stream that ended early.
    func finish() throws {
        if let current {
            throw AgentError("the archive is truncated: entry \(current.name) ends \(current.remaining) bytes early")
        }
        guard finished else { throw AgentError("the archive is truncated: it ends before its end-of-archive marker") }
    }

    private mutating func readHeader(_ bytes: [UInt8]) throws {
        func text(_ offset: Int, _ length: Int) -> String {
            String(decoding: bytes[offset..<(offset + length)].prefix { $0 != 0 }, as: UTF8.self)
        }
        func number(_ offset: Int, _ length: Int) throws -> Int64 {
            let field = bytes[offset..<(offset + length)]
            if let first = field.first, first & 0x80 != 0 {
                // GNU base-256 for large values; a negative or oversized one is corrupt.
                let magnitude = field.dropFirst()
                guard first == 0x80, magnitude.dropLast(min(8, magnitude.count)).allSatisfy({ $0 == 0 }) else {
                    throw AgentError("the archive is corrupt: a tar header holds an impossible number")
                }
                let value = magnitude.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                guard value <= UInt64(Int64.max) else { throw AgentError("the archive is corrupt: a tar header holds an impossible number") }
                return Int64(value)
            }
            let digits = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let value = Int64(digits.isEmpty ? "0" : digits, radix: 8), value >= 0 else {
                throw AgentError("the archive is corrupt: a tar header holds \(digits.debugDescription) where a number belongs")
            }
            return value
        }
        let checksum = try number(148, 8)
        let unsigned = bytes.enumerated().reduce(Int64(0)) { $0 + Int64((148..<156).contains($1.offset) ? 0x20 : $1.element) }
        let signed = bytes.enumerated().reduce(Int64(0)) { $0 + Int64((148..<156).contains($1.offset) ? 0x20 : Int8(bitPattern: $1.element)) }
        guard checksum == unsigned || checksum == signed else { throw AgentError("the archive is corrupt: a tar header's checksum does not match") }
        let type = bytes[156]
        var size = try number(124, 12)
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
            guard size <= Self.metadataLimit else {
                throw AgentError("refusing the archive: a tar header extension of \(size) bytes (at most \(Self.metadataLimit))")
            }
            metadata = (type, size, Self.padding(size))
            return
        default: break
        }
        var name = text(0, 100)
        if text(257, 6).hasPrefix("ustar") {
            let prefix = text(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        name = pax["path"] ?? longName ?? name
        let linkTarget = pax["linkpath"] ?? longLink ?? text(157, 100)
        if let paxSize = pax["size"] {
            guard let value = Int64(paxSize), value >= 0 else { throw AgentError("the archive is corrupt: pax size \(paxSize)") }
            size = value
        }
        longName = nil
        longLink = nil
        pax = [:]
        entries += 1
        let mode = Int(try number(100, 8))
        var handle: FileHandle?
        switch type {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            if name.hasSuffix("/") {
                // Old tars mark directories by the name alone.
                try extraction.makeDirectory(name)
            } else {
                try extraction.reserve(size, for: name)
                handle = try extraction.createFile(name, mode: mode)
            }
        case UInt8(ascii: "5"): try extraction.makeDirectory(name)
        case UInt8(ascii: "2"): try extraction.symlink(name, target: linkTarget)
        case UInt8(ascii: "1"): try extraction.hardlink(name, target: linkTarget)
        default:
            throw AgentError("refusing tar entry \(name): \(Self.describe(type)) (only files, directories and links are unpacked)")
        }
        current = (name, handle, size, Self.padding(size))
    }

    private static func padding(_ size: Int64) -> Int64 { (512 - size % 512) % 512 }

    private static func describe(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "3"): "a character device"
        case UInt8(ascii: "4"): "a block device"
        case UInt8(ascii: "6"): "a FIFO"
        case UInt8(ascii: "S"): "a sparse file"
        default: "an entry of type \(Character(UnicodeScalar(type)).debugDescription)"
        }
    }

    private mutating func applyMetadata(type: UInt8, data: Data) {
        switch type {
        case UInt8(ascii: "L"): longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
        case UInt8(ascii: "K"): longLink = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
        case UInt8(ascii: "x"): pax = Self.paxRecords([UInt8](data))
        default: break
        }
    }

    /// The records of a pax header: `<length> <key>=<value>\n`, the length counting the whole record (a value
    /// may hold newlines). Reading stops at the first malformed record.
    static func paxRecords(_ bytes: [UInt8]) -> [String: String] {
        var records: [String: String] = [:]
        var start = 0
        while start < bytes.count {
            guard let space = bytes[start...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: bytes[start..<space], as: UTF8.self)), length > space - start,
                start + length <= bytes.count, bytes[start + length - 1] == UInt8(ascii: "\n")
            else { break }
            let record = bytes[(space + 1)..<(start + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records[String(decoding: record[..<equals], as: UTF8.self)] = String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            start += length
        }
        return records
    }
}

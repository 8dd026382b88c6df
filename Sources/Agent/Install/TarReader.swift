import Foundation

/// Unpacks a tar stream (ustar, GNU long names, pax paths) fed in pieces, through ``SafeExtraction``.
struct TarReader {
    private var extraction: SafeExtraction
    private var buffer = Data()
    private var current: (handle: FileHandle?, remaining: Int64, padding: Int64)?
    private var longName: String?
    private var longLink: String?
    private var paxPath: String?
    private var paxLink: String?
    /// Collecting a GNU long name or a pax header's content.
    private var metadata: (type: UInt8, remaining: Int64, padding: Int64, data: Data)?
    private(set) var finished = false
    private(set) var entries = 0

    init(extraction: SafeExtraction) {
        self.extraction = extraction
    }

    mutating func feed(_ data: Data) throws {
        buffer.append(data)
        while !finished {
            if var entry = current {
                if entry.remaining > 0 {
                    guard !buffer.isEmpty else { return }
                    let count = Int(min(Int64(buffer.count), entry.remaining))
                    try entry.handle?.write(contentsOf: buffer.prefix(count))
                    try extraction.count(count)
                    buffer.removeFirst(count)
                    entry.remaining -= Int64(count)
                    current = entry
                    continue
                }
                guard Int64(buffer.count) >= entry.padding else { return }
                buffer.removeFirst(Int(entry.padding))
                try entry.handle?.close()
                current = nil
                continue
            }
            if var meta = metadata {
                let needed = meta.remaining + meta.padding
                guard Int64(buffer.count) >= needed else { return }
                meta.data = buffer.prefix(Int(meta.remaining))
                buffer.removeFirst(Int(needed))
                metadata = nil
                try applyMetadata(type: meta.type, data: meta.data)
                continue
            }
            guard buffer.count >= 512 else { return }
            let header = buffer.prefix(512)
            buffer.removeFirst(512)
            if header.allSatisfy({ $0 == 0 }) {
                finished = true
                return
            }
            try readHeader(Data(header))
        }
    }

    private mutating func readHeader(_ header: Data) throws {
        let bytes = [UInt8](header)
        func text(_ offset: Int, _ length: Int) -> String {
            let field = bytes[offset..<(offset + length)]
            return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
        }
        func number(_ offset: Int, _ length: Int) throws -> Int64 {
            let field = bytes[offset..<(offset + length)]
            if let first = field.first, first & 0x80 != 0 {
                // GNU base-256 for large sizes.
                return field.dropFirst().reduce(Int64(first & 0x7F)) { $0 << 8 | Int64($1) }
            }
            let digits = String(decoding: field.prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let value = Int64(digits.isEmpty ? "0" : digits, radix: 8) else { throw AgentError("corrupt tar header") }
            return value
        }
        let checksum = try number(148, 8)
        let computed = bytes.enumerated().reduce(Int64(0)) { $0 + Int64((148..<156).contains($1.offset) ? 0x20 : $1.element) }
        guard checksum == computed else { throw AgentError("corrupt tar header (checksum)") }
        let type = bytes[156]
        let size = try number(124, 12)
        let padding = (512 - size % 512) % 512
        var name = text(0, 100)
        if text(257, 6).hasPrefix("ustar") {
            let prefix = text(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        var linkTarget = text(157, 100)
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
            metadata = (type, size, padding, Data())
            return
        default: break
        }
        if let long = longName ?? paxPath { name = long }
        if let long = longLink ?? paxLink { linkTarget = long }
        longName = nil
        longLink = nil
        paxPath = nil
        paxLink = nil
        entries += 1
        let mode = Int(try number(100, 8))
        switch type {
        case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
            let handle = try extraction.createFile(name, mode: mode)
            current = (handle, size, padding)
        case UInt8(ascii: "5"):
            try extraction.makeDirectory(name)
            current = (nil, size, padding)
        case UInt8(ascii: "2"):
            try extraction.link(name, kind: .symlink(linkTarget))
            current = (nil, size, padding)
        case UInt8(ascii: "1"):
            try extraction.link(name, kind: .hardlink(linkTarget))
            current = (nil, size, padding)
        default:
            throw AgentError("refusing tar entry \(name) of type \(Character(UnicodeScalar(type))) (devices and pipes are not unpacked)")
        }
    }

    private mutating func applyMetadata(type: UInt8, data: Data) throws {
        let value = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
        switch type {
        case UInt8(ascii: "L"): longName = value
        case UInt8(ascii: "K"): longLink = value
        case UInt8(ascii: "x"):
            // Records of "<length> <key>=<value>\n".
            for record in value.split(separator: "\n") {
                guard let space = record.firstIndex(of: " ") else { continue }
                let pair = record[record.index(after: space)...]
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let key = pair[..<equals]
                let item = String(pair[pair.index(after: equals)...])
                if key == "path" { paxPath = item }
                if key == "linkpath" { paxLink = item }
            }
        default: break
        }
    }
}

import Foundation

/// Unpacks a zip file (stored and deflated entries) through ``SafeExtraction``.
enum ZipReader {
    static func extract(_ file: URL, into extraction: inout SafeExtraction) throws -> Int {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        // The end of central directory record is in the last 64 KiB + 22 bytes.
        let tailLength = min(size, 65_557)
        try handle.seek(toOffset: size - tailLength)
        let tail = [UInt8](try handle.read(upToCount: Int(tailLength)) ?? Data())
        guard
            let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: { tail[$0..<($0 + 4)].elementsEqual([0x50, 0x4B, 0x05, 0x06]) })
        else { throw AgentError("not a zip file (no central directory)") }
        let count = Int(le16(tail, end + 10))
        var offset = UInt64(le32(tail, end + 16))
        var extracted = 0
        for _ in 0..<count {
            try handle.seek(toOffset: offset)
            let header = [UInt8](try handle.read(upToCount: 46) ?? Data())
            guard header.count == 46, header[0..<4].elementsEqual([0x50, 0x4B, 0x01, 0x02]) else {
                throw AgentError("corrupt zip central directory")
            }
            let method = le16(header, 10)
            let compressed = UInt64(le32(header, 20))
            let nameLength = Int(le16(header, 28))
            let extraLength = Int(le16(header, 30))
            let commentLength = Int(le16(header, 32))
            let externalAttributes = le32(header, 38)
            let localOffset = UInt64(le32(header, 42))
            let name = String(decoding: try handle.read(upToCount: nameLength) ?? Data(), as: UTF8.self)
            offset += 46 + UInt64(nameLength + extraLength + commentLength)
            let unixMode = Int(externalAttributes >> 16)
            let isLink = unixMode & 0o170000 == 0o120000
            try handle.seek(toOffset: localOffset)
            let local = [UInt8](try handle.read(upToCount: 30) ?? Data())
            guard local.count == 30, local[0..<4].elementsEqual([0x50, 0x4B, 0x03, 0x04]) else {
                throw AgentError("corrupt zip entry \(name)")
            }
            try handle.seek(toOffset: localOffset + 30 + UInt64(le16(local, 26)) + UInt64(le16(local, 28)))
            if name.hasSuffix("/") {
                try extraction.makeDirectory(name)
                continue
            }
            var content = Data()
            let output: FileHandle? = isLink ? nil : try extraction.createFile(name, mode: unixMode == 0 ? 0o644 : unixMode)
            let inflater = method == 8 ? try Inflater(format: .raw) : nil
            guard method == 0 || method == 8 else { throw AgentError("zip entry \(name) uses an unsupported compression method \(method)") }
            var remaining = compressed
            while remaining > 0 {
                let piece = try handle.read(upToCount: Int(min(remaining, 1 << 20))) ?? Data()
                guard !piece.isEmpty else { throw AgentError("truncated zip entry \(name)") }
                remaining -= UInt64(piece.count)
                func write(_ data: Data) throws {
                    try extraction.count(data.count)
                    if let output { try output.write(contentsOf: data) } else { content.append(data) }
                }
                if let inflater { try inflater.feed(piece, write) } else { try write(piece) }
            }
            try output?.close()
            if isLink {
                try extraction.link(name, kind: .symlink(String(decoding: content, as: UTF8.self)))
            }
            extracted += 1
        }
        return extracted
    }

    private static func le16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func le32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}

import CZlib
import Foundation

/// Incremental zlib decompression: gzip streams (`.tar.gz`) and raw deflate (zip entries).
final class Inflater {
    enum Format {
        case gzip
        case raw

        var windowBits: Int32 { self == .gzip ? 15 + 32 : -15 }
    }

    private var stream = z_stream()
    private let format: Format
    private(set) var finished = false

    init(format: Format) throws {
        self.format = format
        guard inflateInit2_(&stream, format.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw AgentError("cannot start decompression")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses the next piece of input and hands the output to `sink` in pieces.
    func feed(_ input: Data, _ sink: (Data) throws -> Void) throws {
        guard !input.isEmpty, !finished else { return }
        var buffer = [UInt8](repeating: 0, count: 128 * 1024)
        var input = input
        try input.withUnsafeMutableBytes { raw in
            stream.next_in = raw.bindMemory(to: Bytef.self).baseAddress
            stream.avail_in = uInt(raw.count)
            while stream.avail_in > 0 && !finished {
                let result: Int32 = buffer.withUnsafeMutableBytes { out in
                    stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = buffer.count - Int(stream.avail_out)
                if produced > 0 { try sink(Data(buffer[..<produced])) }
                switch result {
                case Z_OK: continue
                case Z_STREAM_END:
                    // A gzip file may hold several members one after the other.
                    if format == .gzip && stream.avail_in > 0 { inflateReset(&stream) } else { finished = true }
                case Z_BUF_ERROR where produced > 0: continue
                default: throw AgentError("the archive is corrupt (zlib error \(result))")
                }
            }
        }
    }
}

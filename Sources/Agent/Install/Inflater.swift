import CZlib
import Foundation

/// Incremental zlib decompression: gzip streams (`.tar.gz`) and raw deflate (zip entries). zlib checks each
/// gzip member's trailer (CRC-32 and length); ``finish()`` refuses a stream that stopped before its end.
final class Inflater {
    enum Format {
        case gzip
        case raw

        var windowBits: Int32 { self == .gzip ? 15 + 16 : -15 }
    }

    private var stream = z_stream()
    private let format: Format
    /// The last (or only) stream ended and nothing followed it yet.
    private(set) var finished = false
    private var buffer = [UInt8](repeating: 0, count: 128 * 1024)

    init(format: Format) throws {
        self.format = format
        guard inflateInit2_(&stream, format.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw AgentError("cannot start decompression")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses the next piece of input and hands the output to `sink` in pieces.
    func feed(_ input: Data, _ sink: (Data) throws -> Void) throws {
        guard !input.isEmpty else { return }
        if finished {
            // A gzip file may hold several members one after the other; raw deflate ends once.
            guard format == .gzip else { throw AgentError("the archive is corrupt: data after the end of a compressed entry") }
            inflateReset(&stream)
            finished = false
        }
        var input = input
        try input.withUnsafeMutableBytes { raw in
            stream.next_in = raw.bindMemory(to: Bytef.self).baseAddress
            stream.avail_in = uInt(raw.count)
            defer {
                stream.next_in = nil
                stream.avail_in = 0
            }
            // Run until the input is used up and zlib has no more output waiting (a full buffer may leave some).
            while true {
                let (result, produced) = buffer.withUnsafeMutableBytes { out in
                    stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(out.count)
                    let result = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (result, out.count - Int(stream.avail_out))
                }
                if produced > 0 { try sink(Data(buffer[..<produced])) }
                switch result {
                case Z_STREAM_END:
                    finished = true
                    guard stream.avail_in > 0 else { return }
                    guard format == .gzip else { throw AgentError("the archive is corrupt: data after the end of a compressed entry") }
                    inflateReset(&stream)
                    finished = false
                case Z_OK, Z_BUF_ERROR:
                    if stream.avail_in == 0 && produced < buffer.count { return }
                    if result == Z_BUF_ERROR && produced == 0 { return }
                default:
                    throw AgentError("the archive is corrupt: \(describe(result))")
                }
            }
        }
    }

    /// Refuses a compressed stream that ended before its end marker (and, for gzip, its checked trailer).
    func finish() throws {
        guard finished else { throw AgentError("the archive is truncated: the compressed data ends early") }
    }

    private func describe(_ result: Int32) -> String {
        guard let message = stream.msg.map({ String(cString: $0) }) else { return "zlib error \(result)" }
        switch message {
        case "incorrect data check": return "incorrect data check (the CRC-32 in the gzip trailer does not match the content)"
        case "incorrect length check": return "incorrect length check (the length in the gzip trailer does not match the content)"
        default: return message
        }
    }
}

import Foundation
import NIOCore
import WireProtocol

/// Log bytes as text for the page: whole UTF-8 characters only, so that a character split between two reads
/// arrives whole with the second.
struct LogText: Sendable, Equatable {
    var text: String
    /// Where the next read starts.
    var next: Int64

    /// `bytes` were read from `offset` up to `end`. Leading continuation bytes (when `offset` fell inside a
    /// character) are dropped; a character cut off at the end is left for the next read unless the log is
    /// complete.
    static func decode(_ bytes: ByteBuffer, end: Int64, complete: Bool, startsMidLog: Bool) -> LogText {
        var view = Array(bytes.readableBytesView)
        if startsMidLog {
            let skip = view.prefix(3).prefix { $0 & 0xC0 == 0x80 }.count
            view.removeFirst(skip)
        }
        var held = 0
        if !complete, let start = view.indices.reversed().prefix(4).first(where: { view[$0] & 0xC0 != 0x80 }) {
            // The last character starts at `start`; hold it back when its bytes are not all there yet.
            let lead = view[start]
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
            if length > view.count - start { held = view.count - start }
        }
        return LogText(text: String(decoding: view.dropLast(held), as: UTF8.self), next: end - Int64(held))
    }
}

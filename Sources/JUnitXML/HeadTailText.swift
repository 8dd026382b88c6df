/// Text collected up to a limit: past it, the head and the tail are kept and the middle is left out with a
/// note of how much. Memory stays within the limit however long the text grows.
public struct HeadTailText: Sendable {
    public let limit: Int
    private var head: [UInt8] = []
    /// The latest bytes past the head, trimmed to half the limit whenever it holds twice that.
    private var tail: [UInt8] = []
    /// Bytes left out of the middle.
    private(set) var dropped = 0

    public init(limit: Int) {
        precondition(limit >= 64)
        self.limit = limit
    }

    public var isEmpty: Bool { head.isEmpty && tail.isEmpty }

    /// Bytes seen in all.
    public var count: Int { head.count + tail.count + dropped }

    public mutating func append(_ text: some StringProtocol) {
        append(bytes: text.utf8)
    }

    public mutating func append(bytes: some Collection<UInt8>) {
        var rest = bytes[...]
        if dropped == 0 && tail.isEmpty {
            let room = limit / 2 - head.count
            if room > 0 {
                head.append(contentsOf: rest.prefix(room))
                rest = rest.dropFirst(room)
            }
        }
        guard !rest.isEmpty else { return }
        tail.append(contentsOf: rest)
        if tail.count > limit {
            let excess = tail.count - limit / 2
            tail.removeFirst(excess)
            dropped += excess
        }
    }

    /// The text, with the cut marked when the middle was left out. Characters cut in two at the edges are left
    /// out whole.
    public var text: String {
        if dropped == 0 && head.count + tail.count <= limit {
            return String(decoding: head + tail, as: UTF8.self)
        }
        var kept = tail
        if head.count + tail.count > limit {
            let excess = head.count + tail.count - limit
            kept.removeFirst(excess)
        }
        let cut = dropped + (tail.count - kept.count)
        let start = kept.prefix(3).prefix { $0 & 0xC0 == 0x80 }.count
        return Self.wholeCharacters(head) + "\n… \(cut + start) bytes left out …\n"
            + String(decoding: kept.dropFirst(start), as: UTF8.self)
    }

    /// The bytes up to the last character that is complete.
    private static func wholeCharacters(_ bytes: [UInt8]) -> String {
        var end = bytes.count
        if let lead = bytes.indices.reversed().prefix(4).first(where: { bytes[$0] & 0xC0 != 0x80 }) {
            let length = bytes[lead] >= 0xF0 ? 4 : bytes[lead] >= 0xE0 ? 3 : bytes[lead] >= 0xC0 ? 2 : 1
            if lead + length > bytes.count { end = lead }
        }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}

/// Splits a `multipart/form-data` body into parts as bytes arrive, without holding a whole part in memory.
///
/// Feed it chunks; it reports part headers, body bytes and part ends through ``Event``s. The boundary may
/// straddle chunks: bytes that could be the start of a delimiter are held back until the next chunk decides.
struct MultipartScanner {
    enum Event: Equatable {
        case partStart(headers: [String: String])
        case bytes([UInt8])
        case partEnd
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private enum State {
        case preamble, afterDelimiter, headers, body, done
    }

    private let delimiter: [UInt8]
    private var state = State.preamble
    private var pending: [UInt8]
    private var headerBytes = 0

    static let maxHeaderBytes = 16 * 1024

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter has no CRLF before it: pretend it had.
        pending = [13, 10]
    }

    /// The boundary parameter of a `multipart/form-data` content type.
    static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            var value = String(part.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.count > 70 ? nil : value
        }
        return nil
    }

    var isDone: Bool { state == .done }

    mutating func feed(_ chunk: some Collection<UInt8>) throws -> [Event] {
        pending.append(contentsOf: chunk)
        var events: [Event] = []
        while true {
            switch state {
            case .preamble:
                guard let index = find(delimiter, in: pending) else {
                    // Keep only what could start a delimiter.
                    if pending.count > delimiter.count { pending.removeFirst(pending.count - delimiter.count) }
                    return events
                }
                pending.removeFirst(index + delimiter.count)
                state = .afterDelimiter
            case .afterDelimiter:
                guard pending.count >= 2 else { return events }
                if pending[0] == 45, pending[1] == 45 {  // "--": the closing delimiter
                    state = .done
                    pending.removeAll()
                    return events
                }
                // Transport padding may follow the delimiter before its CRLF.
                guard let lineEnd = find([13, 10], in: pending) else { return events }
                pending.removeFirst(lineEnd + 2)
                headerBytes = 0
                state = .headers
            case .headers:
                guard let end = find([13, 10, 13, 10], in: pending) else {
                    if pending.count > Self.maxHeaderBytes { throw Failure(description: "multipart part headers too long") }
                    return events
                }
                let text = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 4)
                var headers: [String: String] = [:]
                for line in text.split(separator: "\r\n") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                        .trimmingCharacters(in: .whitespaces)
                }
                events.append(.partStart(headers: headers))
                state = .body
            case .body:
                if let index = find(delimiter, in: pending) {
                    if index > 0 { events.append(.bytes(Array(pending[..<index]))) }
                    events.append(.partEnd)
                    pending.removeFirst(index + delimiter.count)
                    state = .afterDelimiter
                } else {
                    let safe = pending.count - (delimiter.count - 1)
                    if safe > 0 {
                        events.append(.bytes(Array(pending[..<safe])))
                        pending.removeFirst(safe)
                    }
                    return events
                }
            case .done:
                pending.removeAll()
                return events
            }
        }
    }

    /// The first index of `needle` in `haystack`.
    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            guard let found = haystack[index...last].firstIndex(of: first) else { return nil }
            if haystack[found..<(found + needle.count)].elementsEqual(needle) { return found }
            index = found + 1
        }
        return nil
    }
}

extension MultipartScanner {
    /// `name` and `filename` from a `Content-Disposition: form-data; name="…"; filename="…"` header.
    static func disposition(_ header: String?) -> (name: String?, filename: String?) {
        guard let header else { return (nil, nil) }
        var name: String?
        var filename: String?
        for part in header.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let key = part[..<equals].lowercased()
            var value = String(part[part.index(after: equals)...])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if key == "name" { name = value }
            if key == "filename" { filename = value }
        }
        return (name, filename)
    }
}

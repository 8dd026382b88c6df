import Foundation
import Hummingbird
import WireProtocol

/// Refuses, with 422 naming the field, text that ``StorableText`` does not allow: every JSON body, form and
/// query string passes through here as it is decoded, so no route has to check its fields one by one.
enum TextInputCheck {
    /// Checks every string (and key) of a JSON document. A quick scan of the bytes finds documents that might
    /// hold a refused character; only those are parsed again to name the field.
    static func check(json data: Data) throws {
        guard mightHoldRefusedText(json: data) else { return }
        guard let document = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return  // malformed: the decoder says how
        }
        if let (field, scalar) = firstRefused(in: document, path: "") {
            throw AppError.unprocessable(StorableText.refusal(field: field, scalar))
        }
    }

    /// Checks form or query fields, names and values.
    static func check(fields: some Sequence<(name: String, value: String)>) throws {
        for (name, value) in fields {
            if let scalar = StorableText.firstRefused(in: name) {
                throw AppError.unprocessable(StorableText.refusal(field: "a field name", scalar))
            }
            if let scalar = StorableText.firstRefused(in: value) {
                throw AppError.unprocessable(StorableText.refusal(field: name, scalar))
            }
        }
    }

    /// Whether the bytes of a JSON document contain an escape or a raw byte sequence that could stand for a
    /// refused character (control characters cannot appear unescaped in valid JSON strings, but DEL and C1
    /// controls can).
    static func mightHoldRefusedText(json data: Data) -> Bool {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\\"):
                    // `\b` and `\f` are U+0008 and U+000C.
                    if index + 1 < count, bytes[index + 1] == UInt8(ascii: "b") || bytes[index + 1] == UInt8(ascii: "f") {
                        return true
                    }
                    if index + 5 < count, bytes[index + 1] == UInt8(ascii: "u"),
                        let value = hexValue(bytes, from: index + 2), let scalar = Unicode.Scalar(value),
                        !StorableText.allows(scalar)
                    {
                        return true
                    }
                    index += 2
                    continue
                case 0x00..<0x20 where byte != 0x09 && byte != 0x0A && byte != 0x0D, 0x7F:
                    return true
                case 0xC2 where index + 1 < count && (0x80...0x9F).contains(bytes[index + 1]):
                    return true
                default:
                    index += 1
                }
            }
            return false
        }
    }

    /// The four hex digits at `start`, or `nil`.
    private static func hexValue(_ bytes: UnsafeRawBufferPointer, from start: Int) -> UInt32? {
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[start + offset])).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// The path (`cases[2]`, `product.name`) and character of the first string that holds a refused character.
    private static func firstRefused(in value: Any, path: String) -> (String, Unicode.Scalar)? {
        switch value {
        case let text as String:
            return StorableText.firstRefused(in: text).map { (path.isEmpty ? "the body" : path, $0) }
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = firstRefused(in: element, path: "\(path)[\(index)]") { return found }
            }
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let scalar = StorableText.firstRefused(in: key) { return ("a key in \(path.isEmpty ? "the body" : path)", scalar) }
                if let found = firstRefused(in: object[key]!, path: child) { return found }
            }
        default:
            break
        }
        return nil
    }
}

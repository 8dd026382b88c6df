import Foundation
import Hummingbird

/// The fields of a submitted form: `application/x-www-form-urlencoded`, or `multipart/form-data` where a file
/// part's content is the field's value.
struct WebForm: Sendable {
    /// Every field in order; a name may repeat (checkboxes).
    private(set) var fields: [(name: String, value: String)]

    init(fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    /// The first value of a field.
    subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// The first value of every field, to fill a form in again.
    var firstValues: [String: String] {
        Dictionary(fields.map { ($0.name, $0.value) }) { first, _ in first }
    }

    /// Every value of a repeated field.
    func values(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// The value with surrounding white space removed; `nil` when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Reads the request's body as a form; 415 for any other kind of body.
    static func read(_ request: Request, context: AppRequestContext) async throws -> WebForm {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("multipart/form-data") {
            let fields = try await FormReader.read(request, maxBytes: context.maxUploadSize)
            return WebForm(fields: fields.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
        }
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw AppError(.unsupportedMediaType, "expected a submitted form, got \(contentType.isEmpty ? "no content type" : contentType)")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let form = parse(urlEncoded: String(buffer: body))
        try TextInputCheck.check(fields: form.fields)
        return form
    }

    /// Parses `a=1&b=x+y&b=%C3%A9`: `+` is a space, `%XX` a byte of UTF-8; malformed escapes stay as typed.
    static func parse(urlEncoded text: String) -> WebForm {
        var fields: [(name: String, value: String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            guard !name.isEmpty else { continue }
            fields.append((name: name, value: parts.count > 1 ? decode(parts[1]) : ""))
        }
        return WebForm(fields: fields)
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// A whole number field; `nil` when blank, 422 naming the field when it is not a number.
    func integer(_ name: String, label: String) throws -> Int? {
        guard let text = text(name) else { return nil }
        guard let value = Int(text) else { throw AppError.unprocessable("\(label): expected a whole number, got \(text)") }
        return value
    }
}

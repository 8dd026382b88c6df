/// Which characters a text field may hold, everywhere: request bodies, forms, query parameters.
///
/// NUL cannot be stored in a PostgreSQL `text` column. The other C0 and C1 control characters and DEL are
/// refused too: XML 1.0 (JUnit reports) cannot hold most of them, and names are printed on terminals, where
/// escape sequences would act instead of showing. Tab, line feed and carriage return stay allowed, because
/// scripts and case lists span lines and browsers send text areas with CRLF; fields that must be one line
/// say so themselves.
public enum StorableText {
    /// Whether a text field may hold `scalar`.
    public static func allows(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: true
        case 0x00...0x1F, 0x7F...0x9F: false
        default: true
        }
    }

    /// The first character of `text` a text field may not hold.
    public static func firstRefused(in text: some StringProtocol) -> Unicode.Scalar? {
        text.unicodeScalars.first { !allows($0) }
    }

    /// `text` with every character a field may not hold replaced by U+FFFD: for output relayed from processes
    /// (install logs, a tool's result message), which is shown rather than refused.
    public static func cleaned(_ text: String) -> String {
        guard firstRefused(in: text) != nil else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { out.append(allows(scalar) ? scalar : "\u{FFFD}") }
        return String(out)
    }

    /// The message of a refusal: the field, and the character by its code point.
    public static func refusal(field: String, _ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return "\(field): contains the control character \(code), which text fields cannot hold"
    }
}

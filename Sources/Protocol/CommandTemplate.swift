import Foundation

/// The tool contract's run command template: placeholders in braces, substituted shell-quoted.
///
/// The agent renders a lease's template once, with every value: the lease's case, product and tool, and the run's
/// own `{work_dir}` and `{result_file}`. Rendering is one pass over the template, so substituted values are never
/// read as placeholders themselves.
public enum CommandTemplate {
    public struct Values: Sendable {
        public var caseName: String?
        public var productDirectory: String?
        public var toolDirectory: String?
        public var productVersion: String?
        public var workDirectory: String?
        public var resultFile: String?

        public init(
            caseName: String? = nil,
            productDirectory: String? = nil,
            toolDirectory: String? = nil,
            productVersion: String? = nil,
            workDirectory: String? = nil,
            resultFile: String? = nil
        ) {
            self.caseName = caseName
            self.productDirectory = productDirectory
            self.toolDirectory = toolDirectory
            self.productVersion = productVersion
            self.workDirectory = workDirectory
            self.resultFile = resultFile
        }

        /// Placeholder name → value, for the values that are set.
        var byPlaceholder: [String: String] {
            var out: [String: String] = [:]
            out["case"] = caseName
            out["product_dir"] = productDirectory
            out["tool_dir"] = toolDirectory
            out["product_version"] = productVersion
            out["work_dir"] = workDirectory
            out["result_file"] = resultFile
            return out
        }

        /// The same values as `TESTFLEET_*` environment variables.
        public var environment: [String: String] {
            var out: [String: String] = [:]
            for (name, value) in byPlaceholder { out["TESTFLEET_" + name.uppercased()] = value }
            return out
        }
    }

    /// Every placeholder the contract defines.
    public static let placeholders = ["case", "product_dir", "tool_dir", "product_version", "work_dir", "result_file"]

    /// Replaces each `{name}` whose value is set by the value, shell-quoted; other text stays as it is.
    public static func render(_ template: String, _ values: Values) -> String {
        let known = values.byPlaceholder
        var out = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                rest = rest[open...]
                break
            }
            let name = String(rest[rest.index(after: open)..<close])
            if let value = known[name] {
                out += shellQuote(value)
            } else {
                out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// A string as one shell word: single-quoted, with embedded single quotes escaped.
    public static func shellQuote(_ value: String) -> String {
        if !value.isEmpty,
            value.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || "-_./=:@%+,".unicodeScalars.contains($0)
            })
        {
            return value
        }
        return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

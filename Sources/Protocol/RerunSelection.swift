import Foundation

/// Which cases of a finished task to run again: `"failed"` (those that ended failed, error, timed out or
/// cancelled), `"all"`, or a list of case names.
public enum RerunSelection: Codable, Sendable, Equatable {
    case failed
    case all
    case names([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let names = try? container.decode([String].self) {
            self = .names(names)
            return
        }
        switch try? container.decode(String.self) {
        case "failed": self = .failed
        case "all": self = .all
        default:
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected \"failed\", \"all\" or a list of case names"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .failed: try container.encode("failed")
        case .all: try container.encode("all")
        case .names(let names): try container.encode(names)
        }
    }
}

import Foundation

/// What the lease endpoint answers with: a case to run, or an install job.
public enum Assignment: Sendable, Equatable {
    case run(Lease)
    case install(InstallAssignment)
}

extension Assignment: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, install
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decodeIfPresent(String.self, forKey: .kind) ?? "case" {
        case "install": self = .install(try container.decode(InstallAssignment.self, forKey: .install))
        default: self = .run(try Lease(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .run(let lease):
            try container.encode("case", forKey: .kind)
            try lease.encode(to: encoder)
        case .install(let job):
            try container.encode("install", forKey: .kind)
            try container.encode(job, forKey: .install)
        }
    }
}

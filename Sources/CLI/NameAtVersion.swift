import ArgumentParser
import WireProtocol

/// A catalog item to create: `NAME@VERSION` only.
struct NameAtVersion: ExpressibleByArgument, Equatable, Sendable {
    var name: String
    var version: String

    init?(argument: String) {
        guard let reference = ItemReference(nameAtVersion: argument), let name = reference.name,
            let version = reference.version
        else { return nil }
        self.name = name
        self.version = version
    }
}

import ArgumentParser
import WireProtocol

/// A product or tool on the command line: `NAME@VERSION`, or its numeric id.
struct ItemArgument: ExpressibleByArgument, Equatable, Sendable {
    var reference: ItemReference

    init?(argument: String) {
        if let id = Int64(argument), id > 0 {
            reference = ItemReference(id: id)
        } else if let named = ItemReference(nameAtVersion: argument) {
            reference = named
        } else {
            return nil
        }
    }

    static var defaultValueDescription: String { "NAME@VERSION" }
}

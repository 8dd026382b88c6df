/// A statement not sent because the database is out of reach.
struct DatabaseUnreachable: Error, CustomStringConvertible {
    var description: String { "the database is unreachable" }
}

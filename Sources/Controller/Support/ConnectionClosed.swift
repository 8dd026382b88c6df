/// The connection of a ``SingletonLoop`` is gone; it starts again on another.
struct ConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection was closed" }
}

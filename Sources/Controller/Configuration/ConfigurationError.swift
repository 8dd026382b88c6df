/// A configuration value that cannot be used; the message names the key.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}

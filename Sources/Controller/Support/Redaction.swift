import Foundation

// Services are described by name in the service lifecycle's logs; their fields (the configuration with the
// database URL, the admin password) never are.
extension Reaper: CustomStringConvertible {
    var description: String { "Reaper" }
}

extension NotificationListener: CustomStringConvertible {
    var description: String { "NotificationListener" }
}

extension PresenceWriter: CustomStringConvertible {
    var description: String { "PresenceWriter" }
}

extension ControllerServices: CustomStringConvertible {
    var description: String { "ControllerServices" }
}

extension ControllerConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// The configuration with secrets left out.
    var description: String {
        var url = databaseURL.map(Self.redact) ?? "embedded"
        if url.isEmpty { url = "embedded" }
        return "ControllerConfiguration(data_dir: \(dataDirectory.path), host: \(host), port: \(port), database: \(url), "
            + "admin_password: \(adminPassword == nil ? "unset" : "set"))"
    }

    var debugDescription: String { description }

    /// A database URL without its password.
    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "***"
    }
}

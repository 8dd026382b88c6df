import Foundation
import NIOCore
import WireProtocol

/// Who makes a change, and from where: the name every audited change is recorded under, and the role that
/// decides what they may change.
struct Caller: Sendable {
    /// `nil` on the console (`testfleet-controller` run on the controller's machine).
    var userID: Int64?
    var name: String
    var role: UserRole
    /// The client address of the request; `nil` on the console.
    var address: String?

    var isAdmin: Bool { role == .admin }

    init(userID: Int64?, name: String, role: UserRole, address: String?) {
        self.userID = userID
        self.name = name
        self.role = role
        self.address = address
    }

    init(_ user: AuthenticatedUser, address: String?) {
        self.init(userID: user.id, name: user.username, role: user.role, address: address)
    }

    /// `testfleet-controller` run on the controller's machine, under the name of the system user running it (a
    /// name no Testfleet user can have).
    static var console: Caller {
        Caller(userID: nil, name: "console:" + ProcessInfo.processInfo.userName, role: .admin, address: nil)
    }
}

extension AppRequestContext {
    /// The calling user as the author of a change; 401 or 403 as ``requireUser()``.
    func caller() throws -> Caller {
        Caller(try requireUser(), address: clientAddress)
    }

    /// The calling admin as the author of a change; 401 or 403 as ``requireAdmin()``.
    func adminCaller() throws -> Caller {
        Caller(try requireAdmin(), address: clientAddress)
    }

    /// The address of the connection the request came on. Testfleet knows no trusted proxies, so a proxy's
    /// `X-Forwarded-For` is not believed: behind one, this is the proxy's address.
    var clientAddress: String? {
        guard let address = channel?.remoteAddress else { return nil }
        return address.ipAddress ?? address.description
    }
}

/// The controller refused this node's credential: it was revoked, or the node was enrolled again elsewhere.
struct CredentialRefused: Error, CustomStringConvertible {
    /// The controller's message.
    var message: String

    /// How `run` ends then: EX_CONFIG, which the systemd unit does not restart.
    static let exitStatus: Int32 = 78

    var description: String {
        let what = message.contains("revoked") ? "this node's credential was revoked" : "the controller refuses this node's credential (\(message))"
        return "\(what); enroll again (testfleet-agent enroll) to take work"
    }
}

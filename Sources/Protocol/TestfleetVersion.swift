/// The version of Testfleet this build belongs to; agents report it when they enroll.
public enum TestfleetVersion {
    public static let current = "0.1.0"
}

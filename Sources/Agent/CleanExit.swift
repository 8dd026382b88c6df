import ArgumentParser
import AsyncSupport
import ControllerClient
import Foundation
import Logging
import ServiceLifecycle
import WireProtocol

/// Ends the command with a message and exit code 1.
enum CleanExit {
    static func message(_ text: String) -> any Error {
        FileHandle.standardError.write(Data(("testfleet-agent: " + text + "\n").utf8))
        return ExitCode(1)
    }
}

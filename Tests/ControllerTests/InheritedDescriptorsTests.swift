import Foundation
import Synchronization
import Testing

@testable import testfleet_controller

/// What the processes the controller starts inherit from it.
@Suite("Inherited descriptors")
struct InheritedDescriptorsTests {
    @Test("a started process holds no descriptor of the controller's above stderr, even one opened while it starts")
    func nothingLeaks() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tf-fds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("held-open").path
        // Another thread keeps opening the file for writing without close-on-exec, as Foundation does for the files
        // it writes, so that some of the processes below start while it is open.
        let opener = Opener(target)
        defer { opener.stop() }
        var held = 0
        // The shell lists the targets of its own descriptors (the one it reads the list with is gone when it looks):
        // only its standard input, output and error may be open.
        for _ in 0..<300 {
            let result = try await ProcessRunner.run("/bin/sh", ["-c", "for fd in /proc/$$/fd/*; do readlink \"$fd\" 2>/dev/null; done; true"])
            #expect(result.status == 0)
            if result.output.contains("held-open") { held += 1 }
            let descriptors = result.output.split(separator: "\n")
            #expect(descriptors.count <= 3, "\(descriptors)")
        }
        #expect(held == 0, "started processes that held the file open")
        // The controller's own descriptors are left as they are.
        let mine = open(target, O_WRONLY)
        defer { close(mine) }
        _ = try await ProcessRunner.run("/bin/true", [])
        #expect(fcntl(mine, F_GETFD) & FD_CLOEXEC == 0)
    }

    /// A thread that opens a file for writing and closes it again, over and over, until stopped.
    final class Opener: Sendable {
        private let stopping = Atomic(false)
        private let stopped = DispatchSemaphore(value: 0)

        init(_ path: String) {
            Thread { [self] in
                while !stopping.load(ordering: .relaxed) {
                    let fd = open(path, O_WRONLY | O_CREAT, 0o600)
                    if fd >= 0 { close(fd) }
                }
                stopped.signal()
            }.start()
        }

        /// Returns once the thread has ended, so that nothing opens the file afterwards.
        func stop() {
            stopping.store(true, ordering: .relaxed)
            stopped.wait()
        }
    }
}

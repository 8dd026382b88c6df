import Foundation
import JUnitXML
import WireProtocol

/// What a tool left in `{result_file}`: nothing, the JSON form, or JUnit XML (the content decides: a file
/// starting with `<` is XML). Read within bounds whatever is there: only a regular file, at most
/// ``TestLimits/fileBytes``, so a huge file, a pipe or a device cannot hold up or exhaust the agent.
enum ResultFile: Equatable {
    case absent
    case json(Data)
    case junit([TestRecord])
    /// There is a file, but it is not read; the reason as a clause ("it declares …").
    case unreadable(String)

    /// The JSON form a tool may write.
    struct JSONForm: Decodable {
        var status: String
        var message: String?
    }

    static func read(_ url: URL, limits: TestLimits = TestLimits()) -> ResultFile {
        // Opened without waiting (a pipe would block) and checked through the open descriptor, so a file swapped
        // after the check is not what gets read.
        let descriptor = open(url.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return errno == ENOENT ? .absent : .unreadable("it cannot be opened (errno \(errno))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .unreadable("it is not a regular file") }
        let size = Int(info.st_size)
        if let refusal = limits.sizeRefusal(size) { return .unreadable(refusal) }
        guard let head = try? handle.read(upToCount: JUnitFile.prologueBytes) ?? Data() else {
            return .unreadable("it cannot be read")
        }
        if JUnitFile.looksLikeXML(head) {
            // The parser opens the same file through the descriptor, not by name.
            switch JUnitFile.read(URL(fileURLWithPath: "/dev/fd/\(descriptor)"), head: head, size: size, limits: limits) {
            case .tests(let tests): return .junit(tests)
            case .refused(let reason): return .unreadable(reason)
            }
        }
        guard let rest = try? handle.readToEnd() else { return .json(head) }
        return .json(head + rest)
    }
}

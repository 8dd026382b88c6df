import Foundation
import Synchronization

/// Empty directories kept for the next case instead of being removed and made again.
///
/// Making a file or a directory costs ext4 a search for a free inode that passes over every inode freed in the last
/// half minute or so. At hundreds of cases a second, each with a spool entry (a directory and four files) and a
/// work directory made and removed, that search became most of the agent's CPU time. A finished case's directory is
/// emptied and renamed into the pool, and renamed out again as the next case's: nothing is allocated or freed.
final class DirectoryPool: Sendable {
    /// What pooled directories are called, beside the entries in use: names no lease id has.
    static let prefix = ".free-"
    /// The most directories kept; any more are removed.
    static let limit = 64

    private struct State {
        var free: [String] = []
        var next = 0
    }

    private let directory: String
    private let state = Mutex(State())
    private static let pools = Mutex<[String: DirectoryPool]>([:])

    /// The pool of `directory`, made on first use; what an earlier run of the agent left in it is removed then.
    static func shared(for directory: String) -> DirectoryPool {
        pools.withLock { pools in
            if let pool = pools[directory] { return pool }
            let pool = DirectoryPool(directory: directory)
            pools[directory] = pool
            return pool
        }
    }

    private init(directory: String) {
        self.directory = directory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(Self.prefix) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Renames a pooled directory to `path` with `mode`; false when none is pooled.
    func take(as path: String, mode: mode_t) -> Bool {
        guard let name = state.withLock({ $0.free.popLast() }) else { return false }
        let pooled = directory + "/" + name
        guard rename(pooled, path) == 0 else {
            try? FileManager.default.removeItem(atPath: pooled)
            return false
        }
        // A case may have changed its work directory's mode.
        chmod(path, mode)
        return true
    }

    /// Moves directory `path`, which lies in this pool's directory, into the pool; false when the pool is full or
    /// the move fails, and the caller removes it.
    func keep(_ path: String) -> Bool {
        let name: String? = state.withLock { state in
            guard state.free.count < Self.limit else { return nil }
            state.next += 1
            return Self.prefix + String(state.next)
        }
        guard let name, rename(path, directory + "/" + name) == 0 else { return false }
        state.withLock { $0.free.append(name) }
        return true
    }

    /// Moves directory `path` into the pool if it is empty.
    func keepIfEmpty(_ path: String) -> Bool {
        Self.isEmpty(path) && keep(path)
    }

    static func isEmpty(_ path: String) -> Bool {
        guard let stream = opendir(path) else { return false }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { return false }
        }
        return true
    }
}

/// The symbolic links an archive created, by path under the unpacked tree, and whether each one resolves
/// inside it. Resolution follows the kernel's rules over the tree as the archive built it: a link met on
/// the way is replaced by its target and `..` climbs the real directories, so chains such as `a/b/s → ../..`
/// with `t → a/b/s/..` are caught, which a look at each target alone would pass.
struct LinkTable: Equatable {
    /// Target of every link, by its path (components joined with `/`).
    private(set) var links: [String: String] = [:]

    /// Why a link may not stay, for the message.
    enum Refusal: Equatable, CustomStringConvertible {
        case absolute
        case outside
        case loop

        var description: String {
            switch self {
            case .absolute: "it points to an absolute path"
            case .outside: "it points outside the install directory"
            case .loop: "it is part of a loop of links"
            }
        }
    }

    /// The most links one resolution may pass through, as the kernel's limit.
    static let maximumHops = 40

    mutating func add(_ path: [String], target: String) { links[path.joined(separator: "/")] = target }

    mutating func remove(_ path: [String]) { links[path.joined(separator: "/")] = nil }

    func target(of path: [String]) -> String? { links[path.joined(separator: "/")] }

    /// Why the link at `path` leaves the tree, or `nil` when it resolves inside (or dangles inside).
    func refusal(for path: [String]) -> Refusal? {
        guard let target = target(of: path) else { return nil }
        var directory = Array(path.dropLast())
        var pending = ArraySlice<Substring>()
        var hops = 0
        func expand(_ target: String) -> Refusal? {
            guard !target.hasPrefix("/") else { return .absolute }
            hops += 1
            guard hops <= Self.maximumHops else { return .loop }
            pending = ArraySlice(target.split(separator: "/", omittingEmptySubsequences: true)) + pending
            return nil
        }
        if let refusal = expand(target) { return refusal }
        while let part = pending.popFirst() {
            switch part {
            case ".": continue
            case "..":
                // `directory` holds real directories only (links are expanded as met), so `..` is their parent.
                guard !directory.isEmpty else { return .outside }
                directory.removeLast()
            default:
                directory.append(String(part))
                if let next = self.target(of: directory) {
                    directory.removeLast()
                    if let refusal = expand(next) { return refusal }
                }
            }
        }
        return nil
    }

    /// The first link that leaves the tree, with why; `nil` when all stay inside.
    func firstRefusal() -> (path: String, target: String, refusal: Refusal)? {
        for path in links.keys.sorted() {
            let components = path.split(separator: "/").map(String.init)
            if let refusal = refusal(for: components) { return (path, links[path]!, refusal) }
        }
        return nil
    }
}

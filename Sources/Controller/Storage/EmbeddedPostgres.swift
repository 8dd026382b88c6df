import Foundation
import Logging

/// A private PostgreSQL cluster under the controller's data directory, for running with no database set up.
///
/// The cluster lives in `<data dir>/postgres`, listens on 127.0.0.1 only with a generated password, and is
/// started with the system's `initdb`/`pg_ctl`. PostgreSQL refuses to run as root, so a root controller runs
/// the cluster as the `postgres` user.
struct EmbeddedPostgres: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// How to reach a started cluster.
    struct Connection: Sendable {
        var host = "127.0.0.1"
        var port: Int
        var username: String
        var password: String
        var database: String

        var url: String {
            let user = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
            let pass = password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password
            return "postgres://\(user):\(pass)@\(host):\(port)/\(database)?sslmode=disable"
        }
    }

    static let superuser = "testfleet"

    let clusterDirectory: URL
    let passwordFile: URL
    let portFile: URL
    let binDirectory: URL
    /// The account the server runs as when the controller runs as root.
    let runAsUser: String?
    let logger: Logger
    /// Written into a new cluster's configuration.
    let maxConnections: Int

    init(dataDirectory: URL, logger: Logger, maxConnections: Int = 200) throws {
        guard let bin = Self.locateBinaries() else {
            throw Failure(
                description:
                    "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin: "
                    + "install the postgresql package (apt-get install postgresql) or pass --database-url"
            )
        }
        self.binDirectory = bin
        self.clusterDirectory = dataDirectory.appendingPathComponent("postgres")
        self.passwordFile = dataDirectory.appendingPathComponent("postgres-password")
        self.portFile = dataDirectory.appendingPathComponent("postgres-port")
        self.runAsUser = geteuid() == 0 ? "postgres" : nil
        self.maxConnections = maxConnections
        self.logger = logger
        if let user = runAsUser, getpwnam(user) == nil {
            throw Failure(
                description:
                    "running as root, the embedded PostgreSQL needs the system user 'postgres' (created by the "
                    + "postgresql package); install it, run the controller as another user, or pass --database-url"
            )
        }
    }

    /// The directory holding `initdb` and `pg_ctl`: from PATH, else the newest under /usr/lib/postgresql.
    static func locateBinaries() -> URL? {
        let fileManager = FileManager.default
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let initdb = URL(fileURLWithPath: String(directory)).appendingPathComponent("initdb")
            if fileManager.isExecutableFile(atPath: initdb.path) {
                let resolved = initdb.resolvingSymlinksInPath().deletingLastPathComponent()
                if fileManager.isExecutableFile(atPath: resolved.appendingPathComponent("pg_ctl").path) {
                    return resolved
                }
            }
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fileManager.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }
            .sorted(by: >)
        for version in versions {
            let bin = URL(fileURLWithPath: "\(root)/\(version)/bin")
            if fileManager.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path),
                fileManager.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path)
            {
                return bin
            }
        }
        return nil
    }

    /// Creates the cluster when it does not exist, starts it unless it already runs, and returns how to reach it.
    func start() throws -> Connection {
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path) {
            try initialize()
        }
        let password = try String(contentsOf: passwordFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if let port = runningPort() {
            logger.info(
                "embedded PostgreSQL already running",
                metadata: ["testfleet.postgres.dir": "\(clusterDirectory.path)", "testfleet.postgres.port": "\(port)"]
            )
            return Connection(port: port, username: Self.superuser, password: password, database: "postgres")
        }
        var port = Int((try? String(contentsOf: portFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        let logFile = clusterDirectory.appendingPathComponent("log/server.log")
        // A free port can be taken by another process between the probe and the server's bind (a client's
        // outgoing connection is given one from the same range): then the start fails and another port is tried.
        for attempt in 1...5 {
            if port == 0 || !PortProbe.isFree(port) {
                port = try PortProbe.freePort()
                try String(port).write(to: portFile, atomically: true, encoding: .utf8)
            }
            let logStart = Self.size(of: logFile)
            do {
                try run(
                    "pg_ctl",
                    ["-D", clusterDirectory.path, "-l", logFile.path, "-o", "-p \(port)", "-w", "-t", "120", "start"]
                )
                break
            } catch {
                let log = Self.text(of: logFile, from: logStart)
                let portTaken = !PortProbe.isFree(port) || log.contains("could not create any TCP/IP sockets")
                guard portTaken, attempt < 5 else {
                    throw Failure(description: "\(error)\n\(log)")
                }
                logger.warning(
                    "port taken while the embedded PostgreSQL started; trying another",
                    metadata: ["testfleet.postgres.port": "\(port)"]
                )
                port = 0
            }
        }
        logger.info(
            "embedded PostgreSQL started",
            metadata: ["testfleet.postgres.dir": "\(clusterDirectory.path)", "testfleet.postgres.port": "\(port)"]
        )
        return Connection(port: port, username: Self.superuser, password: password, database: "postgres")
    }

    private static func size(of file: URL) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// What the server wrote to its log from `offset` on, to explain a failed start.
    private static func text(of file: URL, from offset: UInt64) -> String {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the cluster (fast mode: running statements are cancelled).
    func stop() {
        do {
            try run("pg_ctl", ["-D", clusterDirectory.path, "-m", "fast", "-w", "-t", "60", "stop"])
            logger.info("embedded PostgreSQL stopped")
        } catch {
            logger.error("could not stop the embedded PostgreSQL: \(error)")
        }
    }

    /// The port of a server already running on this cluster, from `postmaster.pid`, if its process lives.
    func runningPort() -> Int? {
        guard
            let text = try? String(
                contentsOf: clusterDirectory.appendingPathComponent("postmaster.pid"),
                encoding: .utf8
            )
        else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 7, let pid = Int32(lines[0].trimmingCharacters(in: .whitespaces)),
            let port = Int(lines[3].trimmingCharacters(in: .whitespaces)),
            kill(pid, 0) == 0 || errno == EPERM,
            lines[7].trimmingCharacters(in: .whitespaces) == "ready"
        else { return nil }
        return port
    }

    private func initialize() throws {
        let fileManager = FileManager.default
        logger.info("creating the embedded PostgreSQL cluster", metadata: ["testfleet.postgres.dir": "\(clusterDirectory.path)"])
        // A directory left by an interrupted initdb is started over.
        try? fileManager.removeItem(at: clusterDirectory)
        try fileManager.createDirectory(
            at: clusterDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let password = Secrets.randomToken(bytes: 24)
        try Secrets.writePrivateFile(passwordFile, contents: password + "\n")
        // initdb reads the password from a file the server's user can read (outside the cluster directory,
        // which must be empty); it is removed right after.
        let initPasswordFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("testfleet-initpw-\(Secrets.randomToken(bytes: 8))")
        try Secrets.writePrivateFile(initPasswordFile, contents: password + "\n")
        if let user = runAsUser {
            try grantTraversal(to: user)
            try chown(clusterDirectory, to: user)
            try chown(initPasswordFile, to: user)
        }
        defer { try? fileManager.removeItem(at: initPasswordFile) }
        try run(
            "initdb",
            [
                "-D", clusterDirectory.path, "-U", Self.superuser, "--pwfile", initPasswordFile.path,
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        let settings = """

            # Written by testfleet-controller for its embedded cluster.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            max_connections = \(maxConnections)
            logging_collector = off
            """
        let conf = clusterDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
        try fileManager.createDirectory(
            at: clusterDirectory.appendingPathComponent("log"),
            withIntermediateDirectories: true
        )
        if let user = runAsUser {
            try chown(clusterDirectory.appendingPathComponent("log"), to: user)
        }
    }

    /// Lets `user` reach the cluster directory: adds search (not read) permission for others on each
    /// ancestor that lacks it.
    private func grantTraversal(to user: String) throws {
        var directory = clusterDirectory.deletingLastPathComponent().standardizedFileURL
        while directory.path != "/" {
            var info = stat()
            if stat(directory.path, &info) == 0, info.st_mode & S_IXOTH == 0 {
                logger.notice(
                    "granting others search permission so the postgres user can reach its cluster",
                    metadata: ["testfleet.path": "\(directory.path)"]
                )
                guard chmod(directory.path, info.st_mode & 0o7777 | S_IXOTH) == 0 else {
                    throw Failure(description: "cannot make \(directory.path) searchable for \(user)")
                }
            }
            directory = directory.deletingLastPathComponent()
        }
    }

    private func chown(_ url: URL, to user: String) throws {
        guard let entry = getpwnam(user) else { throw Failure(description: "no user \(user)") }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        guard Glibc.chown(url.path, uid, gid) == 0 else {
            throw Failure(description: "cannot give \(url.path) to \(user): \(String(cString: strerror(errno)))")
        }
    }

    /// Runs a PostgreSQL tool from the binaries directory, as the cluster's user, and fails with its output.
    private func run(_ tool: String, _ arguments: [String]) throws {
        let executable = binDirectory.appendingPathComponent(tool).path
        let result: ProcessRunner.Result
        if let user = runAsUser {
            let runuser = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
            result = try ProcessRunner.run(runuser, ["-u", user, "--", executable] + arguments)
        } else {
            result = try ProcessRunner.run(executable, arguments)
        }
        guard result.status == 0 else {
            let text = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "\(tool) failed (exit \(result.status)): \(text)")
        }
    }
}

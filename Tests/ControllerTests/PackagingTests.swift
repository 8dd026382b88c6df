import ConfigFile
import ControllerClient
import Foundation
import Testing
import WireProtocol

@testable import testfleet_controller

/// The Debian packages, built by `packaging/build-deb.sh` from this test run's debug binaries (a release build
/// would take too long here; `BUILD_CONFIG=debug` skips only the check that the Swift runtime is linked in),
/// unpacked with `dpkg-deb` and checked; and `testfleet-agent install-service`.
@Suite("Packaging", .serialized)
struct PackagingTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let hasDpkg = FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-deb")
    static let hasSystemdAnalyze = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")

    /// The packages, built once for every test of this suite.
    final class Built: Sendable {
        let directory: URL
        let version: String

        init(directory: URL, version: String) {
            self.directory = directory
            self.version = version
        }

        func deb(_ name: String) throws -> URL {
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            let file = try #require(files.first { $0.hasPrefix(name + "_") && $0.hasSuffix(".deb") }, "\(name) in \(files)")
            return directory.appendingPathComponent(file)
        }

        /// The package unpacked: files under the returned directory, control files under `DEBIAN`.
        func unpack(_ name: String) async throws -> URL {
            let tree = directory.appendingPathComponent("tree-\(name)")
            if FileManager.default.fileExists(atPath: tree.path) { return tree }
            let deb = try deb(name)
            let extract = try await ProcessRunner.run("/usr/bin/dpkg-deb", ["-x", deb.path, tree.path])
            let control = try await ProcessRunner.run("/usr/bin/dpkg-deb", ["-e", deb.path, tree.appendingPathComponent("DEBIAN").path])
            guard extract.status == 0, control.status == 0 else { throw TestFailure("\(extract.output)\(control.output)") }
            return tree
        }
    }

    private static let building = OneShotTask<Built>()

    static func packages() async throws -> Built {
        try await building.run {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("tf-debs-\(UUID().uuidString.prefix(8))")
            let bin = TestAgent.binary.deletingLastPathComponent().path
            let result = try await ProcessRunner.run(
                "/usr/bin/env",
                ["BUILD_CONFIG=debug", "BIN_DIR=\(bin)", repository.appendingPathComponent("packaging/build-deb.sh").path, out.path]
            )
            guard result.status == 0 else { throw TestFailure("build-deb.sh failed:\n\(result.output)") }
            return Built(directory: out, version: TestfleetVersion.current)
        }
    }

    /// `dpkg-deb -c`: path → (mode string, owner).
    static func listing(_ deb: URL) async throws -> [String: (mode: String, owner: String)] {
        let result = try await ProcessRunner.run("/usr/bin/dpkg-deb", ["-c", deb.path])
        var entries: [String: (String, String)] = [:]
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            var path = String(fields[5])
            if path.hasPrefix("./") { path.removeFirst() }
            if path.count > 1, path.hasSuffix("/") { path.removeLast() }
            entries[path] = (String(fields[0]), String(fields[1]))
        }
        return entries
    }

    /// The `KEY=value` lines of a unit file's sections.
    static func unitSettings(_ text: String) -> [String: String] {
        var settings: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return settings
    }

    @Test("three packages with their names, versions, architecture and dependencies; everything owned by root")
    func control() async throws {
        try #require(Self.hasDpkg, "dpkg-deb is missing")
        let built = try await Self.packages()
        let architecture = try await ProcessRunner.run("/usr/bin/dpkg", ["--print-architecture"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for name in ["testfleet-controller", "testfleet-agent", "testfleet-cli"] {
            let deb = try built.deb(name)
            #expect(deb.lastPathComponent == "\(name)_\(built.version)_\(architecture).deb")
            let fields = try await ProcessRunner.run("/usr/bin/dpkg-deb", ["-f", deb.path, "Package", "Version", "Architecture", "Depends"])
            #expect(fields.output.contains("Package: \(name)\n") && fields.output.contains("Version: \(built.version)\n"), "\(fields.output)")
            // The C library's version floor comes from the symbol versions the binaries ask for.
            #expect(fields.output.contains("Depends: ") && fields.output.contains("libc6 (>= 2."), "\(fields.output)")
            for (path, entry) in try await Self.listing(deb) {
                #expect(entry.owner == "root/root", "\(name): \(path) is owned by \(entry.owner)")
            }
        }
        let agentDepends = try await ProcessRunner.run("/usr/bin/dpkg-deb", ["-f", try built.deb("testfleet-agent").path, "Depends"])
        #expect(agentDepends.output.contains("zlib1g"), "the agent unpacks archives with zlib: \(agentDepends.output)")
        let recommends = try await ProcessRunner.run("/usr/bin/dpkg-deb", ["-f", try built.deb("testfleet-controller").path, "Recommends"])
        #expect(recommends.output.contains("postgresql"))
    }

    @Test("files and modes: binaries in /usr/bin, the controller beside its resource bundle, units, the config file")
    func files() async throws {
        try #require(Self.hasDpkg, "dpkg-deb is missing")
        let built = try await Self.packages()
        let controller = try await Self.listing(try built.deb("testfleet-controller"))
        let bundle = "/usr/lib/testfleet/testfleet_testfleet-controller.resources"
        let expected: [String: String] = [
            "/usr/lib/testfleet/testfleet-controller": "-rwxr-xr-x",
            "/usr/bin/testfleet-controller": "lrwxrwxrwx",
            "\(bundle)/Resources/Templates/layout.mustache": "-rw-r--r--",
            "\(bundle)/Resources/Static/app.css": "-rw-r--r--",
            "\(bundle)/Resources/demo/run-case.sh": "-rwxr-xr-x",
            "/lib/systemd/system/testfleet-controller.service": "-rw-r--r--",
            "/etc/testfleet/controller.toml": "-rw-r--r--",
        ]
        for (path, mode) in expected {
            #expect(controller[path]?.mode == mode, "\(path): \(String(describing: controller[path]))")
        }
        let agent = try await Self.listing(try built.deb("testfleet-agent"))
        #expect(agent["/usr/bin/testfleet-agent"]?.mode == "-rwxr-xr-x")
        #expect(agent["/lib/systemd/system/testfleet-agent.service"]?.mode == "-rw-r--r--")
        #expect(agent["/etc/testfleet/agent.toml"] == nil, "enroll writes it")
        let cli = try await Self.listing(try built.deb("testfleet-cli"))
        #expect(cli["/usr/bin/testfleet"]?.mode == "-rwxr-xr-x")

        let tree = try await built.unpack("testfleet-controller")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: tree.appendingPathComponent("usr/bin/testfleet-controller").path)
        #expect(link == "../lib/testfleet/testfleet-controller")
        let conffiles = try String(contentsOf: tree.appendingPathComponent("DEBIAN/conffiles"), encoding: .utf8)
        #expect(conffiles == "/etc/testfleet/controller.toml\n")
        for name in ["testfleet-controller", "testfleet-agent", "testfleet-cli"] {
            let unpacked = try await built.unpack(name)
            let binary = name == "testfleet-cli" ? "testfleet" : name
            let version = try await ProcessRunner.run(unpacked.appendingPathComponent("usr/bin/\(binary)").path, ["--version"])
            #expect(version.status == 0 && version.output == "\(built.version)\n", "\(name): \(version.output)")
        }
    }

    @Test("controller.toml uses real keys: it loads, and so does every key it shows commented out")
    func controllerConfig() async throws {
        try #require(Self.hasDpkg, "dpkg-deb is missing")
        let tree = try await Self.packages().unpack("testfleet-controller")
        let file = tree.appendingPathComponent("etc/testfleet/controller.toml")
        let config = try ControllerConfiguration.load(file: file.path, environment: [:], overrides: [])
        #expect(config.dataDirectory.path == "/var/lib/testfleet" && config.port == 8443 && config.databaseURL == nil)
        let text = try String(contentsOf: file, encoding: .utf8)
        var shown = 0
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let body = line.dropFirst(2)
            let key = body.prefix { $0.isLowercase || $0 == "_" }
            guard line.hasPrefix("# "), !key.isEmpty, body.dropFirst(key.count).hasPrefix(" = ") else { return String(line) }
            shown += 1
            return String(body)
        }.joined(separator: "\n")
        #expect(shown == 6, "database_url, database_pool_size, public_url, tls_cert, tls_key and tls_san are shown")
        let all = FileManager.default.temporaryDirectory.appendingPathComponent("tf-controller-\(UUID().uuidString.prefix(8)).toml")
        try uncommented.write(to: all, atomically: true, encoding: .utf8)
        let full = try ControllerConfiguration.load(file: all.path, environment: [:], overrides: [])
        #expect(full.databaseURL?.hasPrefix("postgres://") == true && full.tlsCertificate != nil && full.tlsKey != nil)
        #expect(full.publicURL != nil && full.tlsSubjectAlternativeNames.count == 2 && full.databasePoolSize == 20)
    }

    @Test("units: restarted always, own user, no new privileges, read-only system but the data directory, private /tmp")
    func units() async throws {
        try #require(Self.hasDpkg, "dpkg-deb is missing")
        let built = try await Self.packages()
        let controllerTree = try await built.unpack("testfleet-controller")
        let controller = Self.unitSettings(
            try String(contentsOf: controllerTree.appendingPathComponent("lib/systemd/system/testfleet-controller.service"), encoding: .utf8)
        )
        let agentTree = try await built.unpack("testfleet-agent")
        let agentText = try String(contentsOf: agentTree.appendingPathComponent("lib/systemd/system/testfleet-agent.service"), encoding: .utf8)
        let agent = Self.unitSettings(agentText)
        let hardening = ["Restart": "always", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes"]
        for (name, unit, user, data) in [
            ("controller", controller, "testfleet", "/var/lib/testfleet"), ("agent", agent, "testfleet-agent", "/var/lib/testfleet-agent"),
        ] {
            for (key, value) in hardening { #expect(unit[key] == value, "\(name): \(key)=\(unit[key] ?? "missing")") }
            #expect(unit["User"] == user, "\(name)")
            #expect(unit["ReadWritePaths"] == data, "\(name)")
            #expect(unit["KillMode"] == "mixed", "\(name): SIGTERM to the main process only, so it can shut down in order")
            #expect(unit["WantedBy"] == "multi-user.target", "\(name)")
        }
        #expect(controller["ExecStart"] == "/usr/bin/testfleet-controller serve --config /etc/testfleet/controller.toml")
        #expect(agent["ExecStart"] == "/usr/bin/testfleet-agent run --config /etc/testfleet/agent.toml")
        #expect(agent["ConditionPathExists"] == "/etc/testfleet/agent.toml")

        // One template: the package's unit is what install-service prints for the same settings.
        let printed = try await ProcessRunner.run(
            TestAgent.binary.path,
            [
                "install-service", "--print", "--defaults", "--config", "/etc/testfleet/agent.toml", "--user", "testfleet-agent", "--executable",
                "/usr/bin/testfleet-agent",
            ]
        )
        #expect(printed.status == 0 && printed.output == agentText)
    }

    @Test(
        "maintainer scripts create the account and data directory, enable the unit and start nothing",
        arguments: [
            ("testfleet-controller", "testfleet", "/var/lib/testfleet"), ("testfleet-agent", "testfleet-agent", "/var/lib/testfleet-agent"),
        ]
    )
    func maintainerScripts(package: String, user: String, dataDirectory: String) async throws {
        try #require(Self.hasDpkg, "dpkg-deb is missing")
        let tree = try await Self.packages().unpack(package)
        let unit = "\(package).service"
        for script in ["postinst", "prerm", "postrm"] {
            let file = tree.appendingPathComponent("DEBIAN/\(script)")
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o755, "\(script)")
            let syntax = try await ProcessRunner.run("/bin/sh", ["-n", file.path])
            #expect(syntax.status == 0, "\(script): \(syntax.output)")
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(!text.contains("@"), "\(script) has no unfilled placeholder")
        }
        // Run them with every command they call replaced by one that logs its arguments: nothing on this
        // machine changes, and what they would do is recorded.
        let sandbox = FileManager.default.temporaryDirectory.appendingPathComponent("tf-maint-\(UUID().uuidString.prefix(8))")
        let stubs = sandbox.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
        let log = sandbox.appendingPathComponent("calls.log")
        for command in [
            "getent", "groupadd", "useradd", "install", "chown", "chmod", "deb-systemd-helper", "deb-systemd-invoke", "systemctl",
        ] {
            let stub = stubs.appendingPathComponent(command)
            // getent finds no account (a fresh machine); deb-systemd-helper says the unit was enabled before.
            let answer = command == "getent" ? "exit 2" : "exit 0"
            try "#!/bin/sh\necho \"\(command) $*\" >> \(log.path)\n\(answer)\n".write(to: stub, atomically: true, encoding: .utf8)
            chmod(stub.path, 0o755)
        }
        func run(_ script: String, _ arguments: [String]) async throws -> [String] {
            try? FileManager.default.removeItem(at: log)
            let result = try await ProcessRunner.run(
                "/usr/bin/env",
                ["-i", "PATH=\(stubs.path):/usr/bin:/bin", "/bin/sh", tree.appendingPathComponent("DEBIAN/\(script)").path] + arguments
            )
            #expect(result.status == 0, "\(script) \(arguments): \(result.output)")
            return ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        let install = try await run("postinst", ["configure"])
        #expect(install.contains("groupadd --system \(user)"), "\(install)")
        #expect(
            install.contains { $0.hasPrefix("useradd --system --gid \(user) --home-dir \(dataDirectory) ") && $0.hasSuffix(" \(user)") },
            "\(install)"
        )
        #expect(install.contains("install -d -o \(user) -g \(user) -m 0750 \(dataDirectory)"), "\(install)")
        #expect(install.contains("deb-systemd-helper enable \(unit)"), "\(install)")
        #expect(!install.contains { $0.hasPrefix("deb-systemd-invoke start") || $0.hasPrefix("systemctl start") }, "enabled, not started: \(install)")
        #expect(try await run("prerm", ["upgrade", "0.0.9"]).isEmpty, "an upgrade does not stop the service")
        let remove = try await run("postrm", ["remove"])
        #expect(remove.contains("deb-systemd-helper mask \(unit)"), "\(remove)")
        let purge = try await run("postrm", ["purge"])
        #expect(purge.contains("deb-systemd-helper purge \(unit)"), "\(purge)")
        #expect(!purge.contains { $0.contains("userdel") || $0.contains("rm ") }, "the data and the account are kept")
    }

    @Test("the installed controller finds its resource bundle beside the binary it resolves its symlink to")
    func resourceBundle() async throws {
        try #require(Self.hasDpkg, "dpkg-deb is missing")
        let tree = try await Self.packages().unpack("testfleet-controller")
        // A mark only the packaged templates carry: the page must come from them, not from the build directory.
        let layout = tree.appendingPathComponent("usr/lib/testfleet/testfleet_testfleet-controller.resources/Resources/Templates/login.mustache")
        let mark = "<!-- packaged \(UUID().uuidString) -->"
        let original = try String(contentsOf: layout, encoding: .utf8)
        try (original + mark).write(to: layout, atomically: true, encoding: .utf8)
        defer { try? original.write(to: layout, atomically: true, encoding: .utf8) }

        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tf-pkg-ctl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let port = try PortProbe.freePort()
        let database = try await TestDatabase.fresh()
        let processes = AgentProcesses()
        try processes.start(
            executable: tree.appendingPathComponent("usr/bin/testfleet-controller").path,
            arguments: ["serve", "--data-dir", data.path, "--host", "127.0.0.1", "--port", String(port), "--database-url", database],
            log: data.appendingPathComponent("controller.log")
        )
        // Nothing in between throws: the controller is stopped whatever happens.
        var client: ControllerClient?
        let page = try? await waitFor("the packaged controller's login page", timeout: 30, every: .milliseconds(100)) { () -> String? in
            if client == nil, let ca = try? String(contentsOf: data.appendingPathComponent("tls/ca.crt"), encoding: .utf8) {
                client = try? ControllerClient(baseURL: "https://127.0.0.1:\(port)", caCertificatePEM: ca, bearer: nil)
            }
            guard let answer = try? await client?.send(.GET, "/login"), answer.status == 200 else { return nil }
            return String(decoding: answer.body, as: UTF8.self)
        }
        await client?.shutdown()
        try await Blocking.run { processes.stopAll() }
        let log = (try? String(contentsOf: data.appendingPathComponent("controller.log"), encoding: .utf8)) ?? ""
        let login = try #require(page, "the packaged controller did not serve its login page:\n\(log)")
        #expect(login.contains(mark), "the page came from another bundle")
    }

    @Test("systemd-analyze verify finds nothing to say about either unit")
    func systemdVerify() async throws {
        try #require(Self.hasSystemdAnalyze, "systemd-analyze is missing (Debian package systemd)")
        try #require(Self.hasDpkg, "dpkg-deb is missing")
        let built = try await Self.packages()
        for name in ["testfleet-controller", "testfleet-agent"] {
            let tree = try await built.unpack(name)
            // The host's units (the targets ours are ordered against) beside the package's files, as on a machine
            // with the package installed.
            let copy = try await ProcessRunner.run(
                "/bin/cp",
                ["-Rn", "/lib/systemd/system/.", tree.appendingPathComponent("lib/systemd/system").path]
            )
            #expect(copy.status == 0, "\(copy.output)")
            let verify = try await ProcessRunner.run(
                "/usr/bin/systemd-analyze",
                ["verify", "--root=\(tree.path)", "/lib/systemd/system/\(name).service"]
            )
            #expect(verify.status == 0 && verify.output.isEmpty, "\(name): \(verify.output)")
        }
    }

    @Test("install-service writes the unit for the agent's config and user, and refuses a user that does not exist")
    func installService() async throws {
        try await withController { controller in
            try await withAgent(controller, name: "unit-node", products: [], run: false) { agent in
                let units = agent.directory.appendingPathComponent("units")
                let installed = try await agent.command([
                    "install-service", "--config", agent.config.path, "--user", "root", "--unit-dir", units.path,
                ])
                #expect(installed.status == 0, "\(installed.output)")
                #expect(installed.output.contains("wrote \(units.path)/testfleet-agent.service"), "\(installed.output)")
                #expect(installed.output.contains("not enabled (not the system's unit directory)"), "\(installed.output)")
                let text = try String(contentsOf: units.appendingPathComponent("testfleet-agent.service"), encoding: .utf8)
                let unit = Self.unitSettings(text)
                #expect(unit["ExecStart"] == "\(TestAgent.binary.resolvingSymlinksInPath().path) run --config \(agent.config.path)")
                #expect(unit["User"] == "root")
                #expect(unit["ReadWritePaths"] == agent.directory.appendingPathComponent("agent-data").path)
                let mode = try FileManager.default.attributesOfItem(atPath: units.appendingPathComponent("testfleet-agent.service").path)[
                    .posixPermissions
                ]
                #expect(mode as? Int == 0o644)
                let printed = try await agent.command(["install-service", "--config", agent.config.path, "--user", "root", "--print"])
                #expect(printed.output == text, "the same template")

                let nobody = try await agent.command([
                    "install-service", "--config", agent.config.path, "--user", "tf-no-such-user", "--unit-dir", units.path,
                ])
                #expect(nobody.status != 0 && nobody.output.contains("no user tf-no-such-user on this machine"), "\(nobody.output)")
                let unenrolled = try await agent.command([
                    "install-service", "--config", agent.directory.appendingPathComponent("none.toml").path, "--unit-dir", units.path,
                ])
                #expect(unenrolled.status != 0 && unenrolled.output.contains("enroll first"), "\(unenrolled.output)")
            }
        }
    }
}

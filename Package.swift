// swift-tools-version:6.2
import PackageDescription

/// One set of settings for every target.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// How the agent is linked in release builds on Linux, to keep its resident set small: an idle agent's memory is
/// mostly the pages of its own binary it has touched. lld lays out the functions an agent runs side by side
/// (`packaging/agent.order`, written by `packaging/agent-order.sh`) instead of scattered over the whole text;
/// relative relocations are packed (`.relr.dyn`) instead of 3 MB of `.rela.dyn` read at every start; and the
/// executable exports no symbols (the static Swift runtime asks for `-export-dynamic`, which only fills a
/// dynamic symbol table nothing looks up).
let agentLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld",
            "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            "-Xlinker", "--no-export-dynamic",
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/packaging/agent.order",
            "-Xlinker", "--no-warn-symbol-ordering",
        ],
        .when(platforms: [.linux], configuration: .release)
    )
]

let package = Package(
    name: "testfleet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "testfleet-controller", targets: ["testfleet-controller"]),
        .executable(name: "testfleet-agent", targets: ["testfleet-agent"]),
        .executable(name: "testfleet", targets: ["testfleet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "WireProtocol",
            path: "Sources/Protocol",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "AsyncSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Spawning",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConfigFile",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "JUnitXML",
            dependencies: ["WireProtocol"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ControllerClient",
            dependencies: [
                "WireProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Client",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "testfleet-controller",
            dependencies: [
                "WireProtocol",
                "ConfigFile",
                "AsyncSupport",
                "Spawning",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // For the type of the pool's errors only: PostgresClient throws them when it cannot connect.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Sources/Controller",
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "testfleet-agent",
            dependencies: [
                "WireProtocol",
                "CZlib",
                "ConfigFile",
                "AsyncSupport",
                "ControllerClient",
                "JUnitXML",
                "Spawning",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Agent",
            swiftSettings: swiftSettings,
            linkerSettings: agentLinkerSettings
        ),
        .executableTarget(
            name: "testfleet",
            dependencies: [
                "WireProtocol",
                "ConfigFile",
                "ControllerClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "testfleet-bench",
            dependencies: [
                "WireProtocol",
                "ConfigFile",
                "ControllerClient",
                "Spawning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ControllerTests",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                "testfleet-controller",
                "WireProtocol",
                "ControllerClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["testfleet", "WireProtocol"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConfigFileTests",
            dependencies: ["ConfigFile"],
            // The toml-test corpus is read from the source tree.
            exclude: ["toml-test"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: ["testfleet-agent", "WireProtocol", "ConfigFile", "AsyncSupport", "JUnitXML"],
            swiftSettings: swiftSettings
        ),
    ]
)

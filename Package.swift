// swift-tools-version: 6.0
import PackageDescription

/// What an HTTP server on SwiftNIO needs (the target server, the client's /metrics).
let nioHTTPServer: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
]

let package = Package(
    name: "Barrage",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "barrage", targets: ["barrage"]),
        .library(name: "BarrageCore", targets: ["BarrageCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // libcurl as the system provides it (Debian: libcurl4-openssl-dev).
        .systemLibrary(
            name: "CLibcurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // zlib, for HdrHistogram's compressed V2 encoding.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // epoll, timerfd and eventfd headers (Linux), imported directly.
        .systemLibrary(name: "CLinuxEvents"),
        // Typed, non-variadic wrappers for curl_easy_setopt / getinfo / curl_multi_setopt. Nothing else.
        .target(name: "CCurlShims", dependencies: ["CLibcurl"]),
        // Pure values: plans, durations, recorder, results, reports. Imports neither libcurl nor NIO.
        .target(
            name: "BarrageCore",
            dependencies: [
                "CZlib",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The HTML report's stylesheet, compiled into the binary as `PackageResources.report_css`.
            resources: [.embedInCode("Export/report.css")]
        ),
        // The libcurl edge: multi handles on engine threads.
        .target(name: "BarrageEngine", dependencies: ["BarrageCore", "CLibcurl", "CCurlShims", "CLinuxEvents"]),
        // The embedded target server used by `serve`, `demo` and the tests.
        .target(
            name: "BarrageTargetServer",
            dependencies: nioHTTPServer + [.product(name: "NIOWebSocket", package: "swift-nio")]
        ),
        // The client's own live endpoints: `run --metrics-addr` (GET /metrics in Prometheus text) and `run --dashboard`
        // (the page and its server-sent events). Not the target server.
        .target(
            name: "BarrageMetricsServer",
            dependencies: nioHTTPServer
        ),
        // Subcommands and the entry point's error/exit-code mapping.
        .target(
            name: "BarrageCLI",
            dependencies: [
                "BarrageCore", "BarrageEngine", "BarrageTargetServer", "BarrageMetricsServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "barrage", dependencies: ["BarrageCLI"]),
        .target(name: "BarrageTestSupport", dependencies: ["BarrageTargetServer"]),
        .target(name: "BarragePlanFixtures", dependencies: ["BarrageCore"]),
        .testTarget(name: "BarrageCoreTests", dependencies: ["BarrageCore", "BarragePlanFixtures"]),
        .testTarget(
            name: "BarrageIntegrationTests",
            dependencies: ["BarrageCore", "BarrageEngine", "BarrageCLI", "BarrageTargetServer", "BarrageTestSupport",
                           "BarragePlanFixtures", "BarrageMetricsServer",
                           // Handlers tested in an EmbeddedChannel, with no sockets (WebSocketEchoHandlerTests).
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOWebSocket", package: "swift-nio")]
        ),
    ]
)

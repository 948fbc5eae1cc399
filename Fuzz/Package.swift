// swift-tools-version: 6.0
// libFuzzer targets for Barrage's parsers. A separate package so that a plain `swift build` of Barrage does not try
// to link them without libFuzzer's main. Run them with `make fuzz` (bounded time each).
import PackageDescription

let package = Package(
    name: "BarrageFuzz",
    dependencies: [.package(name: "Barrage", path: "..")],
    targets: [
        .executableTarget(name: "FuzzProfile", dependencies: [.product(name: "BarrageCore", package: "Barrage")]),
        .executableTarget(name: "FuzzDuration", dependencies: [.product(name: "BarrageCore", package: "Barrage")]),
        .executableTarget(name: "FuzzThreshold", dependencies: [.product(name: "BarrageCore", package: "Barrage")]),
    ]
)

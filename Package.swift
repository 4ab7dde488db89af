// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Patchloop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "patchloop", targets: ["patchloop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "PatchloopCore", swiftSettings: swiftSettings),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "PatchloopHTTP", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        .target(name: "CPatchloopSpawn"),
        .target(
            name: "PatchloopWorkspace",
            dependencies: ["PatchloopCore", "CPatchloopSpawn"],
            swiftSettings: swiftSettings
        ),
        .target(name: "PatchloopModels", dependencies: ["PatchloopCore", "PatchloopHTTP"], swiftSettings: swiftSettings),
        .target(
            name: "PatchloopTools",
            dependencies: ["PatchloopCore", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopAgent",
            dependencies: ["PatchloopCore", "PatchloopModels", "PatchloopTools", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopEval",
            dependencies: ["PatchloopAgent", "PatchloopModels", "PatchloopTools", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopExport",
            dependencies: ["PatchloopCore", "PatchloopModels", "PatchloopAgent", "PatchloopEval", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopSolve",
            dependencies: ["PatchloopAgent", "PatchloopEval", "PatchloopModels", "PatchloopTools", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopReport",
            dependencies: ["PatchloopEval", "PatchloopCore", "PatchloopModels", "CZlib"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopTesting",
            dependencies: ["PatchloopEval", "PatchloopExport", "PatchloopWorkspace", "PatchloopHTTP"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "patchloop",
            dependencies: [
                "PatchloopEval",
                "PatchloopExport",
                "PatchloopReport",
                "PatchloopSolve",
                // For `patchloop bench`: the fake provider server the model benchmark runs against.
                "PatchloopTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopCoreTests",
            dependencies: ["PatchloopCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopHTTPTests",
            dependencies: ["PatchloopHTTP", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopModelsTests",
            dependencies: ["PatchloopModels", "PatchloopAgent", "PatchloopTools", "PatchloopEval", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopExportTests",
            dependencies: ["PatchloopExport", "PatchloopEval", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopWorkspaceTests",
            dependencies: ["PatchloopWorkspace", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopToolsTests",
            dependencies: ["PatchloopTools", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopAgentTests",
            dependencies: ["PatchloopAgent", "PatchloopEval", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopSolveTests",
            dependencies: ["PatchloopSolve", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopReportTests",
            dependencies: ["PatchloopReport", "PatchloopEval", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopEvalTests",
            dependencies: ["PatchloopEval", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)

// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // A file uses only what it imports itself, so a target's dependencies stay visible.
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The module picture (docs/architecture.md draws it): each target depends only on those
/// below it.
///
///     patchloop, patchloop-bench            command-line tools
///     PatchloopSolve  PatchloopExport  PatchloopReport   solve; fine-tuning export, flywheel; HTML report
///     PatchloopEval                         attempts, scoring, runs, the attempt record
///     PatchloopEnvironments  PatchloopSynth  per-task environments (built once, cached); task synthesis
///     PatchloopAgent  PatchloopTasks        the loop; tasks, importers, log parsers, test suite
///     PatchloopTools  PatchloopModels       tools; providers and the model registry
///     PatchloopWorkspace  PatchloopHTTP     sandbox, processes, git; libcurl client
///     PatchloopCore                         JSON, diffs, names, redaction, error text
let package = Package(
    name: "Patchloop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "patchloop", targets: ["patchloop"]),
        .executable(name: "patchloop-bench", targets: ["patchloop-bench"]),
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
        .target(name: "PatchloopWorkspace", dependencies: ["PatchloopCore", "CPatchloopSpawn"], swiftSettings: swiftSettings),
        .target(
            name: "PatchloopModels", dependencies: ["PatchloopCore", "PatchloopHTTP", "PatchloopWorkspace"], swiftSettings: swiftSettings),
        .target(name: "PatchloopTools", dependencies: ["PatchloopCore", "PatchloopWorkspace"], swiftSettings: swiftSettings),
        .target(
            name: "PatchloopTasks", dependencies: ["PatchloopCore", "PatchloopWorkspace", "PatchloopTools"], swiftSettings: swiftSettings),
        .target(
            name: "PatchloopEnvironments", dependencies: ["PatchloopCore", "PatchloopWorkspace", "PatchloopTasks"], swiftSettings: swiftSettings),
        .target(
            name: "PatchloopSynth", dependencies: ["PatchloopCore", "PatchloopModels", "PatchloopTasks", "PatchloopTools", "PatchloopWorkspace"],
            swiftSettings: swiftSettings),
        .target(
            name: "PatchloopAgent",
            dependencies: ["PatchloopCore", "PatchloopModels", "PatchloopTools", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopEval",
            dependencies: ["PatchloopCore", "PatchloopAgent", "PatchloopModels", "PatchloopTasks", "PatchloopTools", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopExport",
            dependencies: ["PatchloopCore", "PatchloopModels", "PatchloopAgent", "PatchloopEval", "PatchloopTasks", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopSolve",
            dependencies: [
                "PatchloopCore", "PatchloopAgent", "PatchloopEval", "PatchloopModels", "PatchloopTasks", "PatchloopTools", "PatchloopWorkspace",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopReport",
            dependencies: ["PatchloopCore", "PatchloopAgent", "PatchloopEval", "PatchloopModels", "CZlib"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "patchloop",
            dependencies: [
                "PatchloopCore", "PatchloopAgent", "PatchloopEnvironments", "PatchloopEval", "PatchloopExport", "PatchloopModels", "PatchloopReport",
                "PatchloopSolve", "PatchloopSynth", "PatchloopTasks", "PatchloopTools", "PatchloopWorkspace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Test helpers and measurements: never linked into `patchloop`.
        .target(
            name: "PatchloopTesting",
            dependencies: ["PatchloopCore", "PatchloopModels", "PatchloopTasks", "PatchloopWorkspace"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PatchloopBenchmarks",
            dependencies: [
                "PatchloopCore", "PatchloopHTTP", "PatchloopModels", "PatchloopTools", "PatchloopWorkspace", "PatchloopAgent", "PatchloopTasks",
                "PatchloopEval", "PatchloopExport", "PatchloopTesting",
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "patchloop-bench",
            dependencies: [
                "PatchloopBenchmarks", "PatchloopCore", "PatchloopTasks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "PatchloopCoreTests", dependencies: ["PatchloopCore"], swiftSettings: swiftSettings),
        .testTarget(name: "PatchloopHTTPTests", dependencies: ["PatchloopHTTP", "PatchloopTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PatchloopModelsTests",
            dependencies: [
                "PatchloopCore", "PatchloopHTTP", "PatchloopModels", "PatchloopAgent", "PatchloopTools", "PatchloopEval", "PatchloopTasks",
                "PatchloopWorkspace", "PatchloopTesting",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopExportTests",
            dependencies: [
                "PatchloopCore", "PatchloopAgent", "PatchloopModels", "PatchloopExport", "PatchloopEval", "PatchloopTasks", "PatchloopWorkspace",
                "PatchloopTesting",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopWorkspaceTests", dependencies: ["PatchloopCore", "PatchloopWorkspace", "PatchloopTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PatchloopToolsTests", dependencies: ["PatchloopCore", "PatchloopTools", "PatchloopWorkspace", "PatchloopTesting"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PatchloopAgentTests",
            dependencies: [
                "PatchloopCore", "PatchloopAgent", "PatchloopModels", "PatchloopTools", "PatchloopWorkspace", "PatchloopEval", "PatchloopTasks",
                "PatchloopTesting",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopSolveTests",
            dependencies: ["PatchloopCore", "PatchloopAgent", "PatchloopModels", "PatchloopSolve", "PatchloopWorkspace", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopTasksTests",
            dependencies: ["PatchloopCore", "PatchloopTasks", "PatchloopTools", "PatchloopWorkspace", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopEnvironmentsTests",
            dependencies: [
                "PatchloopCore", "PatchloopAgent", "PatchloopEnvironments", "PatchloopEval", "PatchloopModels", "PatchloopTasks", "PatchloopTools",
                "PatchloopWorkspace", "PatchloopTesting",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopSynthTests",
            dependencies: [
                "PatchloopCore", "PatchloopEval", "PatchloopModels", "PatchloopSynth", "PatchloopTasks", "PatchloopWorkspace", "PatchloopTesting",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopEvalTests",
            dependencies: ["PatchloopCore", "PatchloopAgent", "PatchloopEval", "PatchloopTasks", "PatchloopWorkspace", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopReportTests",
            dependencies: ["PatchloopCore", "PatchloopReport", "PatchloopEval", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PatchloopBenchmarksTests",
            dependencies: ["PatchloopBenchmarks", "PatchloopExport", "PatchloopTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)

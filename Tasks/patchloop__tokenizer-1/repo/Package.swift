// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "Tokenizer",
    products: [
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
    ],
    targets: [
        .target(name: "Tokenizer"),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
    ]
)

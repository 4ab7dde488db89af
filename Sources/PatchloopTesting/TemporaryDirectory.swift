import Foundation
import PatchloopWorkspace

/// A fresh directory under the system's temporary folder, removed with `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "patchloop-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath().path
        path = base + "/\(prefix)-\(UUID().uuidString.prefix(12))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `files` (relative path → content), making folders as needed.
    public func write(_ files: [String: String]) throws {
        for (relativePath, content) in files {
            let full = path + "/" + relativePath
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: false, encoding: .utf8)
        }
    }

    public func read(_ relativePath: String) throws -> String {
        try String(contentsOfFile: path + "/" + relativePath, encoding: .utf8)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Builds real git repositories for tests.
public enum TestRepository {
    /// A git repository in `directory/name` holding `files` as one commit.
    public static func make(in directory: TemporaryDirectory, name: String = "repo", files: [String: String]) async throws -> String {
        let path = directory.path + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let folder = TemporaryDirectoryView(path: path)
        try folder.write(files)
        let git = Git()
        try await git.run(["init", "--quiet", "--initial-branch=main", "."], in: path)
        try await git.run(["add", "-A"], in: path)
        try await git.run(["commit", "--quiet", "--allow-empty", "-m", "base"], in: path)
        return path
    }
}

/// Writes files under an existing folder.
struct TemporaryDirectoryView {
    let path: String

    func write(_ files: [String: String]) throws {
        for (relativePath, content) in files {
            let full = path + "/" + relativePath
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: false, encoding: .utf8)
        }
    }
}

/// Where the package's own files are, for tests that use the bundled `Tasks/`.
public enum PackageLocation {
    /// The package root, found from this source file's path.
    public static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    public static var tasks: String { root + "/Tasks" }

    /// The `patchloop` executable built beside the test binary.
    public static var executable: String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // The test binary may sit inside a .xctest bundle directory.
        while directory.path.contains(".xctest") { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("patchloop").path
    }
}

/// Runs slow synchronous work (parsing megabytes, writing hundreds of files) on a thread
/// of its own, so that it does not hold one of the few threads of Swift's cooperative
/// pool — other tests running at the same time measure how promptly they are resumed.
public func onDedicatedThread<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result<Value, any Error> { try body() }) }.start()
    }
}

import Foundation
import PatchloopEnvironments
import PatchloopTasks
import PatchloopTesting
import Testing

@Suite("Finding a Python interpreter")
struct PythonLocatorTests {
    /// The pyenv versions this machine has, newest first within a minor version.
    static let installed = PythonLocator().pyenvVersions()

    @Test("pyenv's versions are found by minor version and asked their version")
    func findsPyenvVersions() async throws {
        let locator = PythonLocator()
        let minors = Set(PythonLocatorTests.installed.filter { $0.hasPrefix("3.") }.map { $0.split(separator: ".").prefix(2).joined(separator: ".") })
        try #require(minors.count >= 2, "this test needs at least two pyenv Python 3 versions (pyenv install 3.9 3.12)")
        for minor in minors.sorted() {
            let interpreter = try await locator.locate(minor)
            #expect(interpreter.version.hasPrefix(minor + "."), "\(minor) → \(interpreter)")
            #expect(!interpreter.basePrefix.isEmpty)
        }
    }

    @Test("a candidate on PATH that is another version is refused, and pyenv's right one used instead")
    func wrongVersionOnPathIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let wanted = try #require(PythonLocatorTests.installed.first { $0.hasPrefix("3.9.") || $0.hasPrefix("3.12.") })
        let minor = wanted.split(separator: ".").prefix(2).joined(separator: ".")
        // A liar: says it is 2.7.
        let liar = directory.path + "/python" + minor
        try "#!/bin/sh\necho 2.7.0\necho /nowhere\n".write(toFile: liar, atomically: true, encoding: .utf8)
        chmod(liar, 0o755)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = directory.path + ":" + (environment["PATH"] ?? "")
        let interpreter = try await PythonLocator(environment: environment).locate(minor)
        #expect(interpreter.path != liar)
        #expect(interpreter.version.hasPrefix(minor + "."))
    }

    @Test("a version that is not installed is an error naming it and how to get it")
    func missingVersion() async throws {
        let missing = "3.5"
        try #require(!PythonLocatorTests.installed.contains { $0.hasPrefix("3.5") })
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/nonexistent"
        do {
            _ = try await PythonLocator(environment: environment).locate(missing)
            Issue.record("Python \(missing) should be missing here")
        } catch let error as EnvironmentError {
            #expect(error.message.contains("Python 3.5 is not installed"))
            #expect(error.message.contains("pyenv install 3.5"))
            #expect(error.message.contains("uv python install 3.5"))
        }
    }
}

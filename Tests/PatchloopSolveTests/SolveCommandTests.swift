import Foundation
import PatchloopCore
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// The `patchloop solve` command as a CI job runs it: a real process, its exit code,
/// standard output and standard error.
@Suite("patchloop solve (command line)", .serialized)
struct SolveCommandTests {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs the command through `ProcessRunner`, whose own thread waits for it: a blocking
    /// wait here would hold one of the two threads of Swift's cooperative pool for the whole run.
    static func patchloop(_ arguments: [String], input: String = "", in directory: TemporaryDirectory) async throws -> Run {
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        let outcome = try await ProcessRunner().run(
            ProcessSpec(
                executable: executable,
                arguments: ["solve", "--sandboxes", directory.path + "/Sandboxes", "--output", directory.path + "/run-\(UUID().uuidString.prefix(6))"]
                    + arguments,
                workingDirectory: directory.path, environment: ProcessInfo.processInfo.environment, timeout: 300, standardInput: Data(input.utf8)))
        return Run(status: outcome.exitCode ?? -1, standardOutput: outcome.standardOutput.text, standardError: outcome.standardError.text)
    }

    static func script(_ directory: TemporaryDirectory) throws -> String {
        let turns: JSONValue = [
            ["tool_calls": [["name": "edit", "arguments": ["path": "calc.py", "old_str": "return a - b", "new_str": "return a + b"]]]],
            ["tool_calls": [["name": "run_tests", "arguments": [:]]]],
        ]
        try directory.write(["fix.json": turns.encoded()])
        return directory.path + "/fix.json"
    }

    @Test("exit 0: the patch on stdout; a JSON issue on standard input; --json prints the summary")
    func passingPatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let model = "scripted:" + (try Self.script(directory))
        let issue = #"{"title": "add() subtracts", "body": "add(2, 3) is -1", "comments": []}"#

        let plain = try await Self.patchloop(["--repo", repository, "--issue", "-", "--model", model], input: issue, in: directory)
        #expect(plain.status == 0, "\(plain.standardError)")
        #expect(plain.standardOutput.hasPrefix("diff --git a/calc.py b/calc.py"))
        #expect(plain.standardError.contains("tests: `python3 -m pytest -rA` — pytest.ini at the repository root"))
        #expect(plain.standardError.contains("baseline: 1 passed, 1 failed"))

        let json = try await Self.patchloop(["--repo", repository, "--issue", "-", "--model", model, "--json"], input: issue, in: directory)
        #expect(json.status == 0)
        let summary = try JSONValue.parse(json.standardOutput)
        #expect(summary["exit_code"] == 0)
        #expect(summary["files_changed"] == ["calc.py"])
        #expect(summary["tests_before"]?["failing"] == ["tests/test_calc.py::test_add"])
        #expect(summary["tests_after"]?["all_passed"] == true)
        #expect(summary["outcome"] == "passing_patch")
        let record = try #require(summary["record"]?.objectValue?.values.first)
        #expect(record["steps"] == 2)
        #expect(record["total_tokens"]?.intValue ?? 0 > 0)
        #expect(record["failure_category"] == "resolved")
        #expect(record["trajectory"]?.stringValue.map { FileManager.default.fileExists(atPath: $0) } == true)
    }

    @Test("exit 1: no passing patch; --patch-out still gets the (empty) patch")
    func noPassingPatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        try directory.write(["issue.md": "add() subtracts\n"])
        let run = try await Self.patchloop(
            ["--repo", repository, "--issue", directory.path + "/issue.md", "--model", "scripted:empty", "--patch-out", directory.path + "/out.patch"],
            in: directory)
        #expect(run.status == 1)
        #expect(run.standardOutput.isEmpty)
        #expect(try directory.read("out.patch").isEmpty)
    }

    @Test("exit 2: an unreadable issue, an unknown parser, a repository whose tests cannot be found")
    func usageErrors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let noTests = try await TestRepository.make(in: directory, name: "docs", files: ["index.md": "# Docs\n"])
        try directory.write(["issue.md": "something\n"])
        let missing = try await Self.patchloop(["--repo", repository, "--issue", directory.path + "/nope.md", "--model", "scripted:empty"], in: directory)
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("cannot read the file"))
        let parser = try await Self.patchloop(
            ["--repo", repository, "--issue", directory.path + "/issue.md", "--test-parser", "nope", "--model", "scripted:empty"], in: directory)
        #expect(parser.status == 2)
        let empty = try await Self.patchloop(["--repo", repository, "--issue", "-", "--model", "scripted:empty"], input: "", in: directory)
        #expect(empty.status == 2)
        #expect(empty.standardError.contains("is empty"))
        let none = try await Self.patchloop(["--repo", noTests, "--issue", directory.path + "/issue.md", "--model", "scripted:empty"], in: directory)
        #expect(none.status == 2)
        #expect(none.standardError.contains("cannot tell how to run the tests"))
    }

    @Test("exit 3: the test command's toolchain is missing")
    func infrastructureError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        try directory.write(["issue.md": "something\n"])
        let run = try await Self.patchloop(
            ["--repo", repository, "--issue", directory.path + "/issue.md", "--test-cmd", "no-such-runner-xyz", "--model", "scripted:empty"],
            in: directory)
        #expect(run.status == 3)
        #expect(run.standardError.contains("was not found"))
    }
}

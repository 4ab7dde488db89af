import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopSolve
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("solve", .serialized)
struct SolveRunnerTests {
    @Test("a Python repository: a passing patch, the baseline's failure named, the checkout byte-for-byte unchanged")
    func pythonPassingPatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let before = try FileSnapshot.of(repository)

        let result = try await SolveFixtures.solve(SolveFixtures.request(repository, in: directory), model: SolveFixtures.addFix)
        #expect(result.exitCode == 0)
        #expect(result.outcome == .passingPatch)
        #expect(result.tests.kind == "pytest")
        #expect(result.before.failed == ["tests/test_calc.py::test_add"])
        #expect(result.before.passed == 1)
        #expect(result.after?.allPassed == true)
        #expect(result.after?.passed == 2)
        #expect(result.filesChanged == ["calc.py"])
        #expect(result.patch.contains("+    return a + b"))
        #expect(!result.applied)

        // Nothing of the user's checkout changed, its .git included; the scratch repository is gone.
        #expect(try FileSnapshot.of(repository) == before)
        #expect(!FileManager.default.fileExists(atPath: repository + "/.git/worktrees"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/.solve"))

        // The run directory: trajectory with the context, the patch, the summary.
        let trajectory = try TrajectoryFile(path: result.trajectoryPath)
        let firstPrompt = trajectory.header?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        #expect(firstPrompt.contains("<repository_map>"))
        #expect(firstPrompt.contains("Already failing: tests/test_calc.py::test_add"))
        #expect(trajectory.result?["exit_code"] == 0)
        #expect(try String(contentsOfFile: result.patchPath, encoding: .utf8) == result.patch)
        let summary = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: result.resultPath)))
        #expect(summary["tests_before"]?["failed"] == 1)
        #expect(summary["files_changed"] == ["calc.py"])

        // The patch applies to a fresh checkout of HEAD.
        let clone = directory.path + "/clone"
        _ = try await SolveFixtures.git(["clone", "--quiet", repository, clone], in: directory.path)
        _ = try await Git().run(["apply", "--check", "-"], in: clone, input: Data(result.patch.utf8))
    }

    @Test("--apply writes a passing patch into the checkout")
    func applyPatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let result = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) { $0.apply = true }, model: SolveFixtures.addFix)
        #expect(result.exitCode == 0)
        #expect(result.applied)
        #expect(try directory.read("repo/calc.py").contains("return a + b"))
    }

    @Test("--branch commits the patch on a new branch named from HEAD, with the issue's title, leaving the files alone")
    func branchCommit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let head = try await SolveFixtures.git(["rev-parse", "HEAD"], in: repository)
        let result = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) { $0.branch = "fix/add" }, model: SolveFixtures.addFix)
        #expect(result.exitCode == 0)
        #expect(result.branch == "fix/add")
        #expect(try await SolveFixtures.git(["log", "-1", "--format=%s", "fix/add"], in: repository) == "add() subtracts instead of adding")
        #expect(try await SolveFixtures.git(["rev-parse", "fix/add^"], in: repository) == head)
        #expect(try await SolveFixtures.git(["show", "fix/add:calc.py"], in: repository).contains("return a + b"))
        #expect(try await SolveFixtures.git(["symbolic-ref", "--short", "HEAD"], in: repository) == "main")
        #expect(try directory.read("repo/calc.py").contains("return a - b"))
        #expect(try await SolveFixtures.git(["status", "--porcelain"], in: repository).isEmpty)

        // A second run with the same branch name is refused before anything runs.
        await #expect(throws: SolveError.self) {
            try await SolveFixtures.solve(SolveFixtures.request(repository, in: directory) { $0.branch = "fix/add" }, model: SolveFixtures.addFix)
        }
    }

    @Test("exit 1: an empty patch, and a patch whose tests fail (which --apply then leaves out)")
    func noPassingPatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let before = try FileSnapshot.of(repository)

        let empty = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) { $0.outputDirectory = directory.path + "/run-empty" },
            model: ScriptedModel(turns: [.call("submit")]))
        #expect(empty.exitCode == 1)
        #expect(empty.outcome == .emptyPatch)
        #expect(empty.after == nil)

        let wrong = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) {
                $0.apply = true
                $0.outputDirectory = directory.path + "/run-wrong"
            },
            model: SolveFixtures.fix("calc.py", "return a - b", "return a * b"))
        #expect(wrong.exitCode == 1)
        #expect(wrong.outcome == .testsFail)
        #expect(wrong.after?.failed == ["tests/test_calc.py::test_add"])
        #expect(!wrong.applied)
        #expect(try FileSnapshot.of(repository) == before)
    }

    @Test("exit 3: the model fails")
    func modelError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let result = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory), model: ScriptedModel(turns: [], whenExhausted: nil))
        #expect(result.exitCode == 3)
        #expect(result.outcome == .modelError)
    }

    @Test("exit 3: the test command is not installed")
    func missingTestCommand() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let error = await #expect(throws: SolveError.self) {
            try await SolveFixtures.solve(
                SolveFixtures.request(repository, in: directory) { $0.testCommand = "no-such-test-runner-xyz" }, model: SolveFixtures.addFix)
        }
        #expect(error?.exitCode == 3)
        #expect(error?.description.contains("was not found") == true)
        #expect(!FileManager.default.fileExists(atPath: repository + "/.git/worktrees"))
    }

    @Test("exit 2: a repository with no tests, a folder that is not a git checkout, an invalid branch name")
    func usageErrors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let noTests = try await TestRepository.make(in: directory, name: "notes", files: ["README.md": "# Notes\n", "tests/data.txt": "1\n"])
        let error = await #expect(throws: SolveError.self) {
            try await SolveFixtures.solve(SolveFixtures.request(noTests, in: directory), model: SolveFixtures.addFix)
        }
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("cannot tell how to run the tests") == true)
        #expect(error?.description.contains("--test-cmd") == true)

        try directory.write(["plain/file.txt": "x\n"])
        let notGit = await #expect(throws: SolveError.self) {
            try await SolveFixtures.solve(SolveFixtures.request(directory.path + "/plain", in: directory), model: SolveFixtures.addFix)
        }
        #expect(notGit?.exitCode == 2)
        #expect(notGit?.description.contains("not inside a git work tree") == true)

        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        let badBranch = await #expect(throws: SolveError.self) {
            try await SolveFixtures.solve(SolveFixtures.request(repository, in: directory) { $0.branch = "two..dots" }, model: SolveFixtures.addFix)
        }
        #expect(badBranch?.exitCode == 2)
    }

    @Test("a dirty checkout: reported and left out by default, included with --include-dirty, never changed")
    func dirtyCheckout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SolveFixtures.pythonFiles)
        // Uncommitted: one more test (which passes only with the fix) and an untracked note.
        try directory.write([
            "repo/tests/test_calc.py": SolveFixtures.pythonFiles["tests/test_calc.py"]! + "\n\ndef test_add_negative():\n    assert add(-1, -1) == -2\n",
            "repo/NOTES.txt": "remember the negative case\n",
        ])
        let before = try FileSnapshot.of(repository)

        let progress = ProgressLog()
        let fromHead = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) { $0.outputDirectory = directory.path + "/run-head" }, model: SolveFixtures.addFix,
            progress: progress)
        #expect(progress.contains("warning: the checkout has 2 uncommitted changes"))
        #expect(progress.contains("--include-dirty"))
        #expect(fromHead.uncommitted.sorted() == [" M tests/test_calc.py", "?? NOTES.txt"])
        #expect(!fromHead.includedUncommitted)
        #expect(fromHead.after?.passed == 2)

        let withDirty = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) {
                $0.includeUncommitted = true
                $0.outputDirectory = directory.path + "/run-dirty"
            }, model: SolveFixtures.addFix)
        #expect(withDirty.includedUncommitted)
        #expect(withDirty.before.failed.sorted() == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_add_negative"])
        #expect(withDirty.after?.passed == 3)
        #expect(withDirty.filesChanged == ["calc.py"])
        #expect(try FileSnapshot.of(repository) == before)
    }

    @Test("a C repository with a Makefile test target: make test, the exit status as the verdict")
    func makeExitStatus() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(
            in: directory,
            files: [
                "Makefile": "test: check\n\t./check\n\ncheck: check.c clamp.c\n\tcc -o check check.c clamp.c\n\n.PHONY: test\n",
                "clamp.c": "int clamp(int value, int low, int high) {\n    if (value < low) return low;\n    if (value > high) return low;\n    return value;\n}\n",
                "check.c": "int clamp(int, int, int);\nint main(void) { return clamp(12, 0, 10) == 10 ? 0 : 1; }\n",
                ".gitignore": "check\n",
                "tests/README": "the tests are check.c\n",
            ])
        let result = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory), model: SolveFixtures.fix("clamp.c", "return low;\n    return value", "return high;\n    return value"))
        #expect(result.tests.kind == "make")
        #expect(result.tests.command == "make test")
        #expect(result.before.failed == ["`make test` (exit status)"])
        #expect(result.before.note?.contains("the verdict is the exit status") == true)
        #expect(result.after?.passed == 1)
        #expect(result.exitCode == 0)
        #expect(result.filesChanged == ["clamp.c"])
    }

    @Test("a Swift package: swift test in bubblewrap, read per test")
    func swiftPackage() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(
            in: directory,
            files: [
                "Package.swift": """
                    // swift-tools-version:6.0
                    import PackageDescription
                    let package = Package(name: "Calc", targets: [.target(name: "Calc"), .testTarget(name: "CalcTests", dependencies: ["Calc"])])

                    """,
                "Sources/Calc/Calc.swift": "public func double(_ value: Int) -> Int { value + value + 1 }\n",
                "Tests/CalcTests/CalcTests.swift": "import Calc\nimport Testing\n\n@Test func doubles() { #expect(double(2) == 4) }\n",
                ".gitignore": ".build/\n",
            ])
        let result = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory), model: SolveFixtures.fix("Sources/Calc/Calc.swift", "value + value + 1", "value + value"))
        #expect(result.tests.kind == "swift")
        #expect(result.before.failed == ["doubles()"])
        #expect(result.after?.passed == 1)
        #expect(result.exitCode == 0)
        #expect(result.filesChanged == ["Sources/Calc/Calc.swift"])
    }

    @Test(
        "a Go module: go test -v, read per test", .enabled(if: ProcessRunner.resolveExecutable("go", environment: ProcessInfo.processInfo.environment) != nil, "go is not installed"))
    func goModule() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(
            in: directory,
            files: [
                "go.mod": "module example.com/calc\n\ngo 1.20\n",
                "calc.go": "package calc\n\nfunc Add(a, b int) int { return a - b }\n",
                "calc_test.go": "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(\"wrong\")\n\t}\n}\n",
            ])
        let result = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory), model: SolveFixtures.fix("calc.go", "a - b", "a + b"))
        #expect(result.tests.kind == "go")
        #expect(result.before.failed == ["TestAdd"])
        #expect(result.exitCode == 0)
    }
}

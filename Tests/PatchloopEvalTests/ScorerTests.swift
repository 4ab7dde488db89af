import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Scorer")
struct ScorerTests {
    struct Setup {
        let directory: TemporaryDirectory
        let task: TaskInstance
        let scorer: Scorer
        let base: BaseRepository

        init() async throws {
            directory = try TemporaryDirectory()
            task = try TaskFixtures.pythonCalculator(in: directory)
            let manager = SandboxManager(root: directory.path + "/Sandboxes")
            scorer = Scorer(sandboxes: manager, isolation: .bubblewrap)
            guard case .files(let files) = task.source else { throw SandboxError("fixture is not a files task") }
            base = try await manager.baseRepository(forFilesIn: files, name: task.instanceID)
        }

        func score(_ patch: String?) async throws -> ScoreReport {
            try await scorer.score(task, patch: patch, base: base, group: "score", name: UUID().uuidString)
        }
    }

    @Test("the gold patch resolves the task; the report has SWE-bench's shape")
    func goldResolves() async throws {
        let setup = try await Setup()
        defer { setup.directory.remove() }
        let report = try await setup.score(setup.task.goldPatch)
        #expect(report.resolved)
        #expect(report.resolution == .full)
        #expect(report.failToPass.success == ["tests/test_calc.py::test_add"])
        #expect(report.passToPass.success == ["tests/test_calc.py::test_mul"])
        let json = try RunFileCoding.jsonValue(report.swebench)
        #expect(json["patch_successfully_applied"] == true)
        #expect(json["tests_status"]?["FAIL_TO_PASS"]?["success"] == ["tests/test_calc.py::test_add"])
        #expect(json["tests_status"]?["PASS_TO_FAIL"] != nil)
    }

    @Test("the empty patch and no patch do not resolve it")
    func emptyDoesNot() async throws {
        let setup = try await Setup()
        defer { setup.directory.remove() }
        let empty = try await setup.score("")
        #expect(!empty.resolved)
        #expect(!empty.patchExists)
        #expect(empty.failToPass.failure == ["tests/test_calc.py::test_add"])
        let none = try await setup.score(nil)
        #expect(none.patchIsNone)
        #expect(!none.resolved)
    }

    @Test("a patch that does not apply is unresolved and says so")
    func notApplying() async throws {
        let setup = try await Setup()
        defer { setup.directory.remove() }
        let report = try await setup.score("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def nothing():\n-    pass\n+    return\n")
        #expect(!report.patchSuccessfullyApplied)
        #expect(!report.resolved)
        #expect(report.applyLog.contains("git apply"))
    }

    @Test("a candidate that rewrites the hidden test file cannot game the score: the tests are reset first")
    func testFilesAreReset() async throws {
        let setup = try await Setup()
        defer { setup.directory.remove() }
        // Deletes the real test and adds a trivially passing test_add; the fix itself is missing.
        let gaming = """
            diff --git a/tests/test_calc.py b/tests/test_calc.py
            --- a/tests/test_calc.py
            +++ b/tests/test_calc.py
            @@ -1,5 +1,9 @@
             from calc import mul
             
             
             def test_mul():
                 assert mul(2, 3) == 6
            +
            +
            +def test_add():
            +    assert True

            """
        let report = try await setup.score(gaming)
        #expect(report.patchSuccessfullyApplied)
        #expect(!report.resolved)
        #expect(report.failToPass.failure == ["tests/test_calc.py::test_add"])
    }

    @Test("a test command that hangs is stopped at the task's timeout and scored unresolved")
    func hangingTests() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskFixtures.pythonCalculator(in: directory, timeout: 2)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        guard case .files(let files) = task.source else { return }
        let base = try await manager.baseRepository(forFilesIn: files, name: task.instanceID)
        let hang = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,4 @@\n def add(a, b):\n+    while True:\n+        pass\n     return a - b\n"
        let started = Date()
        let report = try await Scorer(sandboxes: manager, isolation: .bubblewrap).score(task, patch: hang, base: base, group: "g", name: "hang")
        #expect(report.testsTimedOut)
        #expect(!report.resolved)
        #expect(Date().timeIntervalSince(started) < 120, "a test run that never ends was stopped (its timeout is 2 s)")
    }

    /// A conftest.py that writes `lines` to the real output through pytest's terminal
    /// reporter (pytest captures plain prints while it loads conftest files), then runs `then`.
    static func fakeReport(_ lines: [String], then ending: String) -> String {
        "import os\n\n\ndef pytest_sessionstart(session):\n    reporter = session.config.pluginmanager.getplugin('terminalreporter')\n"
            + lines.map { "    reporter.write_line('\($0)')\n" }.joined() + "    reporter.flush()\n    " + ending
    }

    /// A candidate patch that adds `conftest.py` with `body`, beside the reference fix when `withFix`.
    static func conftestPatch(_ body: String, withFix: Bool) -> String {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { "+" + $0 }
        let conftest = "diff --git a/conftest.py b/conftest.py\nnew file mode 100644\n--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1,\(lines.count) @@\n"
            + lines.joined(separator: "\n") + "\n"
        let fix = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,3 +1,3 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n \n"
        return (withFix ? fix : "") + conftest
    }

    @Test("a patch that prints its tests' passing lines and then hangs is not resolved: a run that hit its time limit is never graded")
    func passingLinesThenHang() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Long enough for pytest to start and print on a loaded machine (CI has taken 35 s to
        // collect one file); the run then hangs until it.
        let task = try TaskFixtures.pythonCalculator(in: directory, timeout: 45)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        guard case .files(let files) = task.source else { return }
        let base = try await manager.baseRepository(forFilesIn: files, name: task.instanceID)
        let cheat = Self.conftestPatch(
            Self.fakeReport(["PASSED tests/test_calc.py::test_add", "PASSED tests/test_calc.py::test_mul"], then: "while True:\n        pass"),
            withFix: false)
        let report = try await Scorer(sandboxes: manager, isolation: .bubblewrap).score(task, patch: cheat, base: base, group: "g", name: "cheat")
        #expect(report.testsTimedOut)
        #expect(report.testLog.contains("PASSED tests/test_calc.py::test_add"), "the fake lines were printed: \(report.testLog.suffix(500))")
        #expect(!report.resolved)
        #expect(report.resolution == .no)
        #expect(report.failToPass.success.isEmpty)
        #expect(report.ungradedReason?.contains("time limit") == true)
        #expect(!report.swebench.patchSuccessfullyApplied, "SWE-bench reports an ungraded run as not applied")
        let category = FailureCategory.classify(exitStatus: nil, detail: "", patch: cheat, score: report)
        #expect(category.kind == .timeout)
    }

    @Test("a run that exits non-zero while its log shows no failing test is not resolved, as SWE-bench's get_logs_eval rules")
    func nonZeroExitWithoutFailures() async throws {
        let setup = try await Setup()
        defer { setup.directory.remove() }
        let cheat = Self.conftestPatch(
            Self.fakeReport(["PASSED tests/test_calc.py::test_add", "PASSED tests/test_calc.py::test_mul"], then: "os._exit(3)"), withFix: false)
        let report = try await setup.score(cheat)
        #expect(report.testExitCode == 3)
        #expect(!report.resolved)
        #expect(report.failToPass.success.isEmpty)
        #expect(report.ungradedReason?.contains("exited 3") == true, "\(report.ungradedReason ?? "nil")")
        let category = FailureCategory.classify(exitStatus: nil, detail: "", patch: cheat, score: report)
        #expect(category.kind == .testFailure)
        #expect(category.evidence.contains("exited 3"))
        // A run that fails for real still grades as a failure, with its failing test named.
        let failing = try await setup.score(Self.conftestPatch("X = 1", withFix: false))
        #expect(failing.ungradedReason == nil)
        #expect(failing.testExitCode == 1)
        #expect(failing.failToPass.failure == ["tests/test_calc.py::test_add"])
        #expect(failing.passToPass.success == ["tests/test_calc.py::test_mul"])
    }

    @Test("a long log is parsed whole: the summary between 1.2 MiB of output before and after it still counts, and the stored log says what was kept")
    func longLogIsParsedWhole() async throws {
        let setup = try await Setup()
        defer { setup.directory.remove() }
        let noisy = Self.conftestPatch(
            """
            NOISE = ("x" * 99 + "\\n") * 12_000


            def pytest_sessionstart(session):
                session.config.pluginmanager.getplugin('terminalreporter').write(NOISE)


            def pytest_unconfigure(config):
                print(NOISE)
            """, withFix: true)
        let report = try await setup.score(noisy)
        #expect(report.testLogBytes > 2_400_000)
        #expect(report.resolved, "the PASSED lines in the middle of the log were read: \(report.ungradedReason ?? "")")
        #expect(report.failToPass.success == ["tests/test_calc.py::test_add"])
    }

    @Test("grading follows SWE-bench 5: skipped FAIL_TO_PASS fails, skipped PASS_TO_PASS is kept, XFAIL passes")
    func gradingRules() {
        let statuses: [String: TestStatus] = ["a": .passed, "b": .skipped, "c": .xfail, "d": .failed, "e": .error]
        #expect(Scorer.grade(["a", "b", "c", "d", "e", "missing"], statuses: statuses, skippedPasses: false) == (["a", "c"], ["b", "d", "e", "missing"]))
        #expect(Scorer.grade(["a", "b"], statuses: statuses, skippedPasses: true) == (["a", "b"], []))
        #expect(Scorer.resolution(failToPass: (["a"], []), passToPass: (["b"], []), totals: (1, 1)) == .full)
        #expect(Scorer.resolution(failToPass: (["a"], ["x"]), passToPass: (["b"], []), totals: (2, 1)) == .partial)
        #expect(Scorer.resolution(failToPass: (["a"], []), passToPass: ([], ["b"]), totals: (1, 1)) == .no)
        #expect(Scorer.resolution(failToPass: ([], []), passToPass: ([], []), totals: (0, 0)) == .full)
    }

    @Test("task validation: the fixture's gold resolves and its empty patch does not")
    func validation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskFixtures.pythonCalculator(in: directory)
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let verdict = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(task)
        #expect(verdict.isValid, "\(verdict.problems)")
        #expect(verdict.gold?.resolved == true)
        #expect(verdict.empty?.resolved == false)

        // A task whose "fix" is already in place is invalid: the empty patch resolves it.
        var broken = task
        broken.failToPass = ["tests/test_calc.py::test_mul"]
        let brokenVerdict = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(broken)
        #expect(!brokenVerdict.isValid)
        #expect(brokenVerdict.problems.contains { $0.contains("empty patch resolves") })
    }
}

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

import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Importers")
struct ImporterTests {
    @Test("SWE-bench Lite: all 300 rows import, keep the dataset's fields, and get SWE-bench's test command", .enabled(if: SWEbenchData.available))
    func swebenchLite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tasks = try await onDedicatedThread { try SWEbenchImporter(repositoriesDirectory: directory.path + "/repos").importTasks(from: SWEbenchData.lite) }
        #expect(tasks.count == 300)
        let byID = Dictionary(uniqueKeysWithValues: tasks.map { ($0.instanceID, $0) })

        let django = try #require(byID["django__django-11099"])
        #expect(django.document["log_parser"] == "django")
        #expect(django.document["test_cmd"] == "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 auth_tests.test_validators")
        #expect(django.document["repo_path"]?.stringValue == directory.path + "/repos/django__django")
        // The dataset's fields stay as they are: FAIL_TO_PASS is still a JSON-encoded string.
        #expect(django.document["FAIL_TO_PASS"]?.stringValue?.hasPrefix("[") == true)
        let row = try await onDedicatedThread { SWEbenchData.liteInstances["django__django-11099"] }
        #expect(django.document["base_commit"] == row?["base_commit"])

        let sympy = try #require(byID["sympy__sympy-20590"])
        #expect(sympy.document["log_parser"] == "sympy")
        #expect(sympy.document["test_cmd"]?.stringValue?.hasPrefix("PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose sympy/") == true)
        let flask = try #require(byID["pallets__flask-5063"])
        #expect(flask.document["log_parser"] == "pytest")
        #expect(flask.document["test_cmd"] == "pytest -rA tests/test_cli.py")
        #expect(byID["astropy__astropy-12907"]?.document["log_parser"] == "pytest_v2")
        #expect(byID["psf__requests-2317"]?.document["log_parser"] == "pytest_options")

        // Written and read back as tasks pointing at the clone.
        _ = try await onDedicatedThread { try TaskWriter.write(tasks, to: directory.path + "/tasks") }
        let loaded = try TaskStore.loadTask(directory.path + "/tasks/django__django-11099")
        let expected = try TaskStore.testList(row?["FAIL_TO_PASS"], key: "FAIL_TO_PASS", where_: "lite")
        #expect(loaded.failToPass == expected)
        #expect(loaded.failToPass.first == "test_ascii_validator (auth_tests.test_validators.UsernameValidatorsTests)")
        #expect(loaded.source == .git(repository: directory.path + "/repos/django__django", commit: "d26b2424437dabeeca94d7900b37d2df4410da0c"))
        #expect(!loaded.goldPatch.isEmpty && !loaded.testPatch.isEmpty)
    }

    @Test("test directives: b/ paths minus data files; Django labels")
    func directives() {
        let patch = "diff --git a/tests/auth_tests/test_validators.py b/tests/auth_tests/test_validators.py\n--- a\n+++ b\ndiff --git a/tests/data/x.json b/tests/data/x.json\ndiff --git a/tests/a b/c.py b/tests/a b/c.py\n"
        #expect(RepositoryTestSpecs.testDirectives(testPatch: patch, djangoLabels: false) == ["tests/auth_tests/test_validators.py", "c.py"])
        #expect(RepositoryTestSpecs.testDirectives(testPatch: patch, djangoLabels: true) == ["auth_tests.test_validators", "c"])
    }

    @Test("a SWE-bench-style row (lists, as SWE-Gym / SWE-smith write them) on a local clone: gold resolves, empty does not")
    func swebenchEndToEnd() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fixture = try TaskFixtures.pythonCalculator(in: directory)
        guard case .files(let files) = fixture.source else { return }
        // A clone named owner__name with the fixture's files as its one commit.
        let clone = directory.path + "/repos/fixture__calc"
        try FileManager.default.createDirectory(atPath: clone, withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: clone)
        try FileManager.default.copyItem(atPath: files, toPath: clone)
        try await Git().run(["init", "--quiet", "."], in: clone)
        try await Git().run(["add", "-A"], in: clone)
        try await Git().run(["commit", "--quiet", "-m", "base"], in: clone)
        let commit = try await Git().run(["rev-parse", "HEAD"], in: clone).trimmingCharacters(in: .whitespacesAndNewlines)
        let row: JSONValue = [
            "instance_id": "fixture__calc-1", "repo": "fixture/calc", "base_commit": .string(commit),
            "problem_statement": "add is wrong", "patch": .string(fixture.goldPatch), "test_patch": .string(fixture.testPatch),
            "FAIL_TO_PASS": ["tests/test_calc.py::test_add"], "PASS_TO_PASS": ["tests/test_calc.py::test_mul"], "version": 1.0,
        ]
        try (row.encoded() + "\n").write(toFile: directory.path + "/rows.jsonl", atomically: true, encoding: .utf8)
        let importer = SWEbenchImporter(repositoriesDirectory: directory.path + "/repos", testCommandOverride: "python3 -m pytest -rA")
        let tasks = try importer.importTasks(from: directory.path + "/rows.jsonl")
        #expect(tasks.first?.document["test_cmd"] == "python3 -m pytest -rA tests/test_calc.py")
        try TaskWriter.write(tasks, to: directory.path + "/tasks")
        let task = try TaskStore.loadTask(directory.path + "/tasks/fixture__calc-1")
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let verdict = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(task)
        #expect(verdict.isValid, "\(verdict.problems)")
    }

    @Test("bad rows: every problem is named with its line, and nothing is written")
    func badRows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let lines = [
            #"{"instance_id": "a__b-1", "repo": "a/b", "problem_statement": "x", "FAIL_TO_PASS": "[\"t\"]"}"#,
            #"{"instance_id": "a__b-2", "repo": "a/b", "base_commit": "abc1234", "problem_statement": "x", "FAIL_TO_PASS": "not json"}"#,
            #"{"instance_id": "a__b-3", "repo": "a/b", "base_commit": "abc1234", "problem_statement": "x", "FAIL_TO_PASS": []}"#,
            "{not json",
        ]
        try lines.prefix(3).joined(separator: "\n").write(toFile: directory.path + "/rows.jsonl", atomically: true, encoding: .utf8)
        let importer = SWEbenchImporter(repositoriesDirectory: directory.path)
        let error = try #require(throws: TaskImportError.self) { try importer.importTasks(from: directory.path + "/rows.jsonl") }
        #expect(error.description.contains("3 of 3 rows"))
        #expect(error.description.contains("line 1 (a__b-1): base_commit is missing") || error.description.contains("line 1: base_commit is missing"))
        #expect(error.description.contains("line 2 (a__b-2): FAIL_TO_PASS is a string but not a JSON list"))
        #expect(error.description.contains("line 3 (a__b-3): FAIL_TO_PASS is empty"))

        try lines.joined(separator: "\n").write(toFile: directory.path + "/broken.jsonl", atomically: true, encoding: .utf8)
        let broken = try #require(throws: TaskImportError.self) { try importer.importTasks(from: directory.path + "/broken.jsonl") }
        #expect(broken.description.contains("line 4 is not valid JSON"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/tasks"))
    }

    @Test("importing over existing task folders needs --overwrite")
    func noSilentOverwrite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tasks = try await FunctionTaskImporter.humanEval(from: try humanEvalSample(in: directory))
        try TaskWriter.write(tasks, to: directory.path + "/tasks")
        #expect(throws: TaskImportError.self) { try TaskWriter.write(tasks, to: directory.path + "/tasks") }
        try TaskWriter.write(tasks, to: directory.path + "/tasks", overwrite: true)
    }

    @Test("HumanEval: the canonical solution resolves each problem and the stub does not", .enabled(if: SWEbenchData.humanEvalAvailable))
    func humanEval() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let all = try await FunctionTaskImporter.humanEval(from: SWEbenchData.humanEval)
        #expect(all.count == 164)
        #expect(all.first?.instanceID == "openai__humaneval-0")
        // Validating all 164 is the benchmark's job (scripts/bench-humaneval); a few here.
        let sample = all.filter { ["openai__humaneval-0", "openai__humaneval-10", "openai__humaneval-38"].contains($0.instanceID) }
        try TaskWriter.write(sample, to: directory.path + "/tasks")
        let tasks = try TaskStore.load(directory.path + "/tasks")
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let verdicts = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(tasks, workers: 2)
        for verdict in verdicts { #expect(verdict.isValid, "\(verdict.instanceID): \(verdict.problems)") }
        #expect(verdicts.count == 3)
    }

    @Test("MBPP: both files import; the reference code resolves a problem and the stub does not", .enabled(if: SWEbenchData.humanEvalAvailable))
    func mbpp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let full = try await FunctionTaskImporter.mbpp(from: SWEbenchData.root + "/mbpp/mbpp.jsonl")
        #expect(full.count == 974)
        let sanitized = try await FunctionTaskImporter.mbpp(from: SWEbenchData.root + "/mbpp/sanitized-mbpp.json")
        #expect(sanitized.count == 427)
        let sample = full.filter { ["google__mbpp-2", "google__mbpp-11"].contains($0.instanceID) }
        #expect(sample.first?.document["FAIL_TO_PASS"]?.arrayValue?.count == 3)
        try TaskWriter.write(sample, to: directory.path + "/tasks")
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let verdicts = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(try TaskStore.load(directory.path + "/tasks"), workers: 2)
        for verdict in verdicts { #expect(verdict.isValid, "\(verdict.instanceID): \(verdict.problems)") }
    }

    /// Two HumanEval problems as a small .jsonl.
    func humanEvalSample(in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/he.jsonl"
        let rows: [JSONValue] = [
            ["task_id": "HumanEval/900", "prompt": "def add(a, b):\n    \"\"\"Add.\"\"\"\n", "entry_point": "add",
             "canonical_solution": "    return a + b\n", "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n"],
        ]
        try rows.map { $0.encoded() }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

extension SWEbenchData {
    static let humanEval = root + "/humaneval/HumanEval.jsonl.gz"
    static var humanEvalAvailable: Bool {
        FileManager.default.fileExists(atPath: humanEval) || ProcessInfo.processInfo.environment["CI"] == "true"
    }
}

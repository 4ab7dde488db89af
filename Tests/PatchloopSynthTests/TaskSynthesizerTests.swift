import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopSynth
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("task synthesis on a real Python repository")
struct TaskSynthesizerTests {
    func request(_ repository: String, in directory: TemporaryDirectory, count: Int = 3) -> SynthRequest {
        SynthRequest(
            repository: repository, testCommand: SynthFixtures.testCommand, parserName: "pytest", count: count,
            outputDirectory: directory.path + "/synth", workers: 2, seed: 7, sandboxRoot: directory.path + "/Sandboxes", testTimeout: 120)
    }

    @Test("kept tasks validate, hide their tests, never list the flaky test, and a rerun writes nothing twice")
    func synthesizesValidTasks() async throws {
        let directory = try TemporaryDirectory(prefix: "synth")
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SynthFixtures.files)
        let before = try FileSnapshot.of(repository)

        let summary = try await TaskSynthesizer(request: request(repository, in: directory, count: 2)).run()
        #expect(summary.written.count == 2)
        #expect(summary.flakyTests == ["tests/test_flaky.py::test_flaky"])
        #expect(summary.baselinePassed == 5)
        #expect(try FileSnapshot.of(repository) == before, "the user's checkout is byte-for-byte unchanged")

        let tasks = try TaskStore.load(directory.path + "/synth")
        #expect(tasks.count == 2)
        for task in tasks {
            #expect(!task.failToPass.isEmpty)
            #expect(!(task.failToPass + task.passToPass).contains("tests/test_flaky.py::test_flaky"))
            #expect(Set(task.failToPass).isDisjoint(with: task.passToPass))
            #expect(!ProblemStatementWriter.leaks(task.problemStatement, goldPatch: task.goldPatch), "\(task.problemStatement)")
            #expect(task.testPatch.contains("+++ b/tests/test_core.py"), "the failing tests' file comes back through test.patch")
            #expect(task.goldPatch.contains("mylib/core.py") && !task.goldPatch.contains("tests/"))
            guard case .git(let clone, _) = task.source else {
                Issue.record("a synthesized task points at the scratch repository")
                continue
            }
            #expect(clone.hasSuffix("/.repos/repo.git"))
        }
        #expect(Set(tasks.compactMap(\.source.commitID)).count == 2, "one base commit per task in one shared repository")

        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let validator = TaskValidator(runner: AttemptRunner(configuration: configuration))
        for task in tasks {
            let verdict = await validator.validate(task)
            #expect(verdict.isValid, "\(task.instanceID): \(verdict.problems)")
        }

        let summaryFile = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: directory.path + "/synth/synth.json")))
        #expect(summaryFile["candidates"]?["kept"]?.doubleValue == 2)

        // The same seed again: the same candidates, found already written.
        let again = try await TaskSynthesizer(request: request(repository, in: directory, count: 2)).run()
        #expect(again.written.isEmpty)
        #expect(again.alreadyWritten == 2)
        #expect(try TaskStore.load(directory.path + "/synth").count == 2)
    }

    @Test("a suite where nothing passes is a usage error (exit 2) that shows the log's tail")
    func baselineWithoutPassingTests() async throws {
        let directory = try TemporaryDirectory(prefix: "synth")
        defer { directory.remove() }
        var files = SynthFixtures.files
        files["tests/test_core.py"] = "def test_broken():\n    assert 1 == 2, 'broken from the start'\n"
        files["tests/test_flaky.py"] = nil
        let repository = try await TestRepository.make(in: directory, files: files)
        do {
            _ = try await TaskSynthesizer(request: request(repository, in: directory)).run()
            Issue.record("expected an error")
        } catch let error as SynthError {
            #expect(error.exitCode == 2)
            #expect(error.description.contains("no test passed at HEAD"))
            #expect(error.description.contains("broken from the start"))
        }
    }
}

extension TaskInstance.Source {
    var commitID: String? {
        if case .git(_, let commit) = self { return commit }
        return nil
    }
}

@Suite("candidates that break nothing")
struct BreaksNothingTests {
    @Test("a bug in a function no test calls is dropped and counted without a run, never written")
    func untestedCodeMakesNoTask() async throws {
        let directory = try TemporaryDirectory(prefix: "synth")
        defer { directory.remove() }
        let repository = try await TestRepository.make(
            in: directory,
            files: [
                "mylib/__init__.py": "",
                "mylib/core.py": "def scaled(value, factor):\n    return value * factor\n\n\ndef describe(value):\n    return \"zero\" if value == 0 else \"other\"\n",
                "tests/test_core.py": "from mylib.core import scaled\n\n\ndef test_scaled():\n    assert scaled(3, 2) == 6\n",
                "tests/test_misc.py": "def test_misc():\n    assert sum([1, 2]) == 3\n",
                "pytest.ini": "[pytest]\npythonpath = .\n",
            ])
        let request = SynthRequest(
            repository: repository, testCommand: SynthFixtures.testCommand, parserName: "pytest", count: 5,
            outputDirectory: directory.path + "/synth", workers: 2, seed: 1, sandboxRoot: directory.path + "/Sandboxes", testTimeout: 120)
        let summary = try await TaskSynthesizer(request: request).run()
        #expect(summary.written.isEmpty)
        #expect(summary.total.tried == 2)
        #expect(summary.total.breaksNothing == 2)
        #expect(summary.perOperator["flip_comparison"]?.breaksNothing == 1)
        #expect(summary.perOperator["off_by_one"]?.breaksNothing == 1)
        #expect(summary.droppedUncalled == 2, "the call map shows no test calls describe")
    }
}

@Suite("an interrupted synthesis")
struct InterruptedSynthesisTests {
    @Test("a run cancelled after its first task is resumed by a rerun: no task twice, never past --count, the checkout unchanged")
    func cancelledRunResumes() async throws {
        let directory = try TemporaryDirectory(prefix: "synth")
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SynthFixtures.files)
        let before = try FileSnapshot.of(repository)
        let request = SynthRequest(
            repository: repository, testCommand: SynthFixtures.testCommand, parserName: "pytest", count: 3,
            outputDirectory: directory.path + "/synth", workers: 2, seed: 11, sandboxRoot: directory.path + "/Sandboxes", testTimeout: 120)
        let firstKept = AsyncStream.makeStream(of: Void.self)
        let interrupted = Task {
            try await TaskSynthesizer(request: request, onProgress: { text in
                if text.hasPrefix("kept ") { firstKept.continuation.yield() }
            }).run()
        }
        for await _ in firstKept.stream { break }
        interrupted.cancel()
        let outcome = await interrupted.result
        let written = try TaskStore.load(directory.path + "/synth").map(\.instanceID)
        #expect(!written.isEmpty && written.count <= 3)
        if case .success(let summary) = outcome { #expect(summary.kept == 3, "finished before the cancellation reached it") }

        let resumed = try await TaskSynthesizer(request: request).run()
        let all = try TaskStore.load(directory.path + "/synth").map(\.instanceID)
        #expect(all.count == 3, "\(all)")
        #expect(Set(all).count == all.count)
        #expect(Set(written).isSubset(of: Set(all)), "the tasks written before the interruption are kept")
        #expect(resumed.alreadyWritten == written.count)
        #expect(resumed.written.count == 3 - written.count)
        #expect(try FileSnapshot.of(repository) == before, "the user's checkout is byte-for-byte unchanged")
    }
}

import Foundation
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@testable import PatchloopSynth

/// A library with one test per behaviour, so that each operator's bug has a known set of failing tests.
enum OperatorFixtures {
    static let library = """
        class Box:
            def __init__(self, size=3, strict=False):
                self.size = size
                self.items = []
                self.strict = strict
                self.count = 0

            def put(self, item):
                if self.strict and item is None:
                    raise ValueError("no None")
                self.items.append(item)
                self.count += 1

            def head(self, n):
                return self.items[:n]

            def kind(self, value):
                if value > 10:
                    return "big"
                elif value > 5:
                    return "medium"
                else:
                    return "small"

            def total(self, upto):
                s = 0
                for i in range(0, upto):
                    s += self.items[i]
                return s

        def divide(a, b):
            return int(a / b)


        def power(a, b):
            return pow(a, b)

        """

    static let tests = """
        import pytest
        from mylib.ops import Box, power


        def test_strict_rejects_none():
            with pytest.raises(ValueError):
                Box(strict=True).put(None)


        def test_default_accepts_none():
            box = Box()
            box.put(None)
            assert box.items == [None]


        def test_count():
            box = Box()
            box.put(1)
            box.put(2)
            assert box.count == 2


        def test_head():
            box = Box()
            for item in (1, 2, 3):
                box.put(item)
            assert box.head(2) == [1, 2]


        def test_kind_big():
            assert Box().kind(20) == "big"


        def test_kind_eleven():
            assert Box().kind(11) == "big"


        def test_kind_ten():
            assert Box().kind(10) == "medium"


        def test_kind_small():
            assert Box().kind(1) == "small"


        def test_total():
            box = Box()
            for item in (1, 2, 3):
                box.put(item)
            assert box.total(2) == 3


        def test_power():
            assert power(2, 3) == 8

        """

    static let files: [String: String] = [
        "mylib/__init__.py": "", "mylib/ops.py": library, "tests/test_ops.py": tests, "pytest.ini": "[pytest]\npythonpath = .\n",
        ".gitignore": "__pycache__/\n",
    ]
}

/// Validates one chosen candidate per case, all at once (each in its own worktree, as
/// synthesis runs them), and checks each one's FAIL_TO_PASS.
enum OperatorCheck {
    /// A case: an operator, a line its diff adds or removes (`+…`/`-…`), and the tests the bug must break.
    typealias Case = (operatorName: String, line: String, failing: [String])

    /// A real repository of `files` and the scratch repository synthesis checks candidates out of.
    static func scratchRepository(files: [String: String], in directory: TemporaryDirectory) async throws -> (String, SynthScratchRepository) {
        let repository = try await TestRepository.make(in: directory, files: files)
        let head = try await Git().run(["rev-parse", "HEAD"], in: repository).trimmingCharacters(in: .whitespacesAndNewlines)
        return (repository, try await SynthScratchRepository.prepare(at: directory.path + "/scratch.git", from: repository, head: head))
    }

    static func check(
        files: [String: String], candidates makeCandidates: (String) async throws -> [BugCandidate], testCommand: String, parser: any TestLogParser,
        allTests: [String], cases: [Case]
    ) async throws {
        let directory = try TemporaryDirectory(prefix: "synth-operators")
        defer { directory.remove() }
        let (repository, scratch) = try await scratchRepository(files: files, in: directory)
        let candidates = try await makeCandidates(repository)
        #expect(Set(candidates.map(\.operatorName)) == Set(cases.map(\.operatorName)), "no operator is missing or untested")

        let synthesizer = TaskSynthesizer(
            request: SynthRequest(
                repository: repository, testCommand: testCommand, parserName: parser.name, outputDirectory: directory.path + "/out",
                sandboxRoot: directory.path + "/Sandboxes"))
        let suite = TaskTestSuite(command: testCommand, parser: parser, isolation: .bubblewrap, timeout: 300)
        let sandboxes = SandboxManager(root: directory.path + "/Sandboxes")
        // The smallest diff holding the line: `-        else:` alone, not with the `elif` above it.
        let chosen = cases.map { operatorName, line, failing in
            let matching = candidates.filter { $0.operatorName == operatorName && $0.diff.split(separator: "\n").contains(Substring(line)) }
            return (operatorName, line, failing, matching.min { $0.diff.count < $1.diff.count })
        }
        let verdicts = try await withThrowingTaskGroup(of: (Int, TaskSynthesizer.Verdict?).self) { group in
            for (index, (_, _, _, candidate)) in chosen.enumerated() {
                group.addTask {
                    guard let candidate else { return (index, nil) }
                    let verdict = try await synthesizer.validate(
                        candidate, name: "op\(index)", stable: Set(allTests), suite: suite, sandboxes: sandboxes, base: scratch.base, group: "ops")
                    return (index, verdict)
                }
            }
            var verdicts = [TaskSynthesizer.Verdict?](repeating: nil, count: chosen.count)
            for try await (index, verdict) in group { verdicts[index] = verdict }
            return verdicts
        }
        for ((operatorName, line, failing, candidate), verdict) in zip(chosen, verdicts) {
            guard let candidate, let verdict else {
                Issue.record("\(operatorName): no candidate changes `\(line)`")
                continue
            }
            #expect(candidate.compiles, "\(operatorName): \(candidate.diff)")
            guard case .kept(let failToPass, let passToPass, _) = verdict else {
                Issue.record("\(operatorName): \(verdict) for\n\(candidate.diff)")
                continue
            }
            #expect(failToPass == failing.sorted(), "\(operatorName): \(candidate.diff)")
            #expect(Set(passToPass) == Set(allTests).subtracting(failToPass))
        }
    }
}

@Suite("each Python operator, validated by execution")
struct PythonOperatorTests {
    static let cases: [OperatorCheck.Case] = [
        ("flip_comparison", "+        if value >= 10:", ["test_kind_ten"]),
        ("off_by_one", "+        if value > 11:", ["test_kind_eleven"]),
        ("swap_bool_op", "+        if self.strict or item is None:", ["test_default_accepts_none"]),
        ("negate_if", "+        elif not (value > 5):", ["test_kind_small", "test_kind_ten"]),
        ("drop_else", "-        else:", ["test_kind_small"]),
        ("drop_else", "-        elif value > 5:", ["test_kind_small", "test_kind_ten"]),
        ("drop_early_return", "-            return \"big\"", ["test_kind_big", "test_kind_eleven"]),
        ("drop_guard", "-            raise ValueError(\"no None\")", ["test_strict_rejects_none"]),
        ("swap_call_args", "+    return pow(b, a)", ["test_power"]),
        ("change_default", "+    def __init__(self, size=3, strict=True):", ["test_default_accepts_none"]),
        ("drop_state_update", "-        self.count += 1", ["test_count"]),
        ("slice_bound", "+        return self.items[:n - 1]", ["test_head"]),
        ("range_bound", "+        for i in range(0, upto + 1):", ["test_total"]),
    ]

    @Test("every operator makes a compiling bug whose FAIL_TO_PASS is the tests of that behaviour")
    func everyOperatorBreaksItsTests() async throws {
        let tests = [
            "test_strict_rejects_none", "test_default_accepts_none", "test_count", "test_head", "test_kind_big", "test_kind_eleven",
            "test_kind_ten", "test_kind_small", "test_total", "test_power",
        ]
        func id(_ name: String) -> String { "tests/test_ops.py::" + name }
        try await OperatorCheck.check(
            files: OperatorFixtures.files,
            candidates: { repository in
                let (candidates, skipped) = try await PythonBugCandidates.candidates(files: ["mylib/ops.py"], in: repository, isolation: .bubblewrap)
                #expect(skipped.isEmpty)
                return candidates
            },
            testCommand: SynthFixtures.testCommand, parser: PytestLogParser(), allTests: tests.map(id),
            cases: Self.cases.map { ($0.operatorName, $0.line, $0.failing.map(id)) })
    }
}

@Suite("a candidate that hangs its tests")
struct HangingCandidateTests {
    @Test("is stopped at the time limit and timed out, never kept, and its worktree is removed")
    func timedOut() async throws {
        let directory = try TemporaryDirectory(prefix: "synth-hang")
        defer { directory.remove() }
        let (repository, scratch) = try await OperatorCheck.scratchRepository(files: SynthFixtures.files, in: directory)
        let synthesizer = TaskSynthesizer(
            request: SynthRequest(
                repository: repository, testCommand: SynthFixtures.testCommand, parserName: "pytest", outputDirectory: directory.path + "/out",
                sandboxRoot: directory.path + "/Sandboxes"))
        let suite = TaskTestSuite(command: SynthFixtures.testCommand, parser: PytestLogParser(), isolation: .bubblewrap, timeout: 15)
        let diff = """
            --- a/mylib/core.py
            +++ b/mylib/core.py
            @@ -26,2 +26,4 @@
             def scaled(value, factor):
            +    while factor:
            +        pass
                 return value * factor

            """
        let candidate = BugCandidate(file: "mylib/core.py", operatorName: "hang", function: "scaled", line: 27, diff: diff, compiles: true)
        let started = Date()
        let verdict = try await synthesizer.validate(
            candidate, name: "hang", stable: ["tests/test_core.py::test_scaled"], suite: suite,
            sandboxes: SandboxManager(root: directory.path + "/Sandboxes"), base: scratch.base, group: "hang",
            selection: .tests(["tests/test_core.py::test_scaled"], seconds: 0))
        guard case .timedOut = verdict else {
            Issue.record("expected a time-out, got \(verdict)")
            return
        }
        #expect(Date().timeIntervalSince(started) >= 15, "the suite's limit, the smaller one, applies")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/Sandboxes").filter { !$0.hasPrefix(".") }
        let inside = left.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: directory.path + "/Sandboxes/" + $0)) ?? ["\($0) (a file)"] }
        #expect(inside.isEmpty, "\(inside)")
    }
}

import Foundation
import PatchloopSynth
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Python bug candidates")
struct PythonBugCandidatesTests {
    @Test("every operator makes a compiling candidate, and strings and comments are never changed")
    func operators() async throws {
        let directory = try TemporaryDirectory(prefix: "synth-candidates")
        defer { directory.remove() }
        try directory.write(["mylib/core.py": SynthFixtures.library, "mylib/calls.py": "def power(a, b):\n    return pow(a, b)\n"])
        let (candidates, skipped) = try await PythonBugCandidates.candidates(
            files: ["mylib/core.py", "mylib/calls.py"], in: directory.path, isolation: .bubblewrap)
        #expect(skipped.isEmpty)
        let operators = Set(candidates.filter(\.compiles).map(\.operatorName))
        #expect(operators.isSuperset(of: ["flip_comparison", "swap_bool_op", "off_by_one", "negate_if", "drop_early_return", "swap_call_args", "drop_else", "drop_state_update"]))
        for candidate in candidates {
            let lines = candidate.diff.split(separator: "\n")
            let removed = lines.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }
            let added = lines.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }
            #expect(!removed.contains { $0.contains("#") }, "a comment changed: \(candidate.diff)")
            if removed.contains(where: { $0.contains("small < big and or") }) {
                #expect(added.allSatisfy { $0.contains("\"small < big and or\"") }, "a string changed: \(candidate.diff)")
            }
            #expect(!candidate.function.isEmpty)
        }
        #expect(candidates.contains { $0.operatorName == "swap_call_args" && $0.diff.contains("+    return pow(b, a)") })
        #expect(candidates.contains { $0.operatorName == "negate_if" && $0.diff.contains("+    if not (value < low):") })
    }

    @Test("test files, conftest and setup.py are never candidates")
    func sourceFiles() {
        #expect(PythonBugCandidates.isSourceFile("mylib/core.py"))
        #expect(!PythonBugCandidates.isSourceFile("tests/test_core.py"))
        #expect(!PythonBugCandidates.isSourceFile("mylib/test_util.py"))
        #expect(!PythonBugCandidates.isSourceFile("conftest.py"))
        #expect(!PythonBugCandidates.isSourceFile("README.md"))
    }
}

@Suite("problem statements from failing tests")
struct ProblemStatementWriterTests {
    @Test("the assertion and its message are quoted, a changed line never is")
    func statement() {
        let log = """
            =================================== FAILURES ===================================
            _________________________________ test_clamp_low _________________________________

                def test_clamp_low():
            >       assert clamp(-3, 0, 10) == 0
            E       assert -3 == 0
            E        +  where -3 = clamp(-3, 0, 10)

            mylib/core.py:7: in clamp
            >       if not (value < low):
            =========================== short test summary info ============================
            FAILED tests/test_core.py::test_clamp_low - assert -3 == 0
            """
        let gold = "--- a/mylib/core.py\n+++ b/mylib/core.py\n@@ -5 +5 @@\n-    if not (value < low):\n+    if value < low:\n"
        let text = ProblemStatementWriter.statement(failToPass: ["tests/test_core.py::test_clamp_low"], log: log, goldPatch: gold)
        #expect(text.contains("assert clamp(-3, 0, 10) == 0"))
        #expect(text.contains("where -3 = clamp(-3, 0, 10)"))
        #expect(!ProblemStatementWriter.leaks(text, goldPatch: gold))
    }
}

@Suite("statement leak check")
struct StatementLeakTests {
    @Test("a changed line counts as a whole word only")
    func wholeWords() {
        let gold = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-        pass\n+        return high\n"
        #expect(!ProblemStatementWriter.leaks("These tests passed before; the rest passes.", goldPatch: gold))
        #expect(ProblemStatementWriter.leaks("then it does return high here", goldPatch: gold))
        #expect(ProblemStatementWriter.leaks("> pass", goldPatch: gold))
    }
}

@Suite("tests that cover a module")
struct CoveringTestsTests {
    @Test("test files whose imports name the module; none when every test file does")
    func covering() throws {
        let directory = try TemporaryDirectory(prefix: "synth-covering")
        defer { directory.remove() }
        try directory.write([
            "tests/test_core.py": "from mylib.core import clamp\n", "tests/test_text.py": "import mylib.text as text\n",
            "tests/test_all.py": "from mylib import core, text\n", "tests/helpers.py": "import mylib.core\n",
        ])
        let files = ["tests/test_core.py", "tests/test_text.py", "tests/test_all.py", "tests/helpers.py", "mylib/core.py"]
        let covering = CoveringTests(trackedFiles: files, worktree: directory.path)
        #expect(covering.files(covering: "mylib/core.py") == ["tests/test_all.py", "tests/test_core.py"])
        #expect(covering.files(covering: "mylib/text.py") == ["tests/test_all.py", "tests/test_text.py"])
        #expect(covering.files(covering: "mylib/__init__.py") == nil, "every test file imports mylib")
        #expect(covering.files(covering: "mylib/unused.py") == nil)
    }
}

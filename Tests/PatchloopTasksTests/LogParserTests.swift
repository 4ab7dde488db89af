import PatchloopTasks
import Testing

@Suite("Log parsers")
struct LogParserTests {
    @Test("pytest -rA: the short summary gives each node id its status, as SWE-bench reads it")
    func pytest() {
        let log = """
            ============================= test session starts ==============================
            tests/test_a.py ..Fx                                                      [100%]
            =========================== short test summary info ============================
            PASSED tests/test_a.py::test_one
            PASSED tests/test_a.py::TestThing::test_two[1-2]
            FAILED tests/test_a.py::test_three - AssertionError: assert 1 == 2
            XFAIL tests/test_a.py::test_four - reason: known
            SKIPPED [1] tests/test_a.py:40: needs network
            ERROR tests/test_b.py::test_five - ImportError
            ========================= 1 failed, 2 passed in 0.05s ==========================
            """
        let statuses = PytestLogParser().parse(log)
        #expect(statuses["tests/test_a.py::test_one"] == .passed)
        #expect(statuses["tests/test_a.py::TestThing::test_two[1-2]"] == .passed)
        #expect(statuses["tests/test_a.py::test_three"] == .failed)
        #expect(statuses["tests/test_a.py::test_four"] == .xfail)
        #expect(statuses["tests/test_b.py::test_five"] == .error)
        #expect(statuses["[1]"] == .skipped)
        #expect(statuses.count == 6)
    }

    @Test("swift test: XCTest and Swift Testing lines")
    func swiftTest() {
        let log = """
            Test Suite 'All tests' started at 2026-11-27 10:00:00.000
            Test Case 'TokenizerTests.testSplitsWords' started at 2026-11-27 10:00:00.001
            Test Case 'TokenizerTests.testSplitsWords' passed (0.001 seconds)
            Test Case 'TokenizerTests.testQuotes' started at 2026-11-27 10:00:00.002
            /work/Tests/TokTests/TokenizerTests.swift:12: error: TokenizerTests.testQuotes : XCTAssertEqual failed
            Test Case 'TokenizerTests.testQuotes' failed (0.002 seconds)
            Test Case 'TokenizerTests.testLater' skipped (0.000 seconds)
            ◇ Test run started.
            ✔ Test addsNumbers() passed after 0.001 seconds.
            ✘ Test "divides by zero" failed after 0.002 seconds with 1 issue.
            ✔ Suite MathTests passed after 0.003 seconds.
            ✘ Test run with 2 tests failed after 0.004 seconds with 1 issue.
            """
        let statuses = SwiftTestLogParser().parse(log)
        #expect(statuses["TokenizerTests.testSplitsWords"] == .passed)
        #expect(statuses["TokenizerTests.testQuotes"] == .failed)
        #expect(statuses["TokenizerTests.testLater"] == .skipped)
        #expect(statuses["addsNumbers()"] == .passed)
        #expect(statuses["\"divides by zero\""] == .failed)
        #expect(statuses.count == 5)
    }

    @Test("TAP: ok / not ok, descriptions, SKIP and TODO")
    func tap() {
        let log = """
            1..5
            ok 1 - test_push
            not ok 2 - test_pop_empty
            ok 3 test_wraparound
            ok 4 - test_big # SKIP no memory
            not ok 5 - test_future # TODO not yet
            # a comment
            """
        let statuses = TAPLogParser().parse(log)
        #expect(statuses == [
            "test_push": .passed, "test_pop_empty": .failed, "test_wraparound": .passed, "test_big": .skipped, "test_future": .xfail,
        ])
    }

    @Test("selecting single tests: pytest appends node ids, swift filters, TAP cannot")
    func selecting() {
        #expect(PytestLogParser().selecting(["tests/a.py::t[x y]"], command: "python3 -m pytest -rA") == "python3 -m pytest -rA 'tests/a.py::t[x y]'")
        #expect(SwiftTestLogParser().selecting(["A.testB"], command: "swift test") == "swift test --filter 'A\\.testB'")
        #expect(TAPLogParser().selecting(["x"], command: "make test") == nil)
    }
}

import PatchloopTasks
import Testing

@Suite("Log parsers: Django, pytest variants, JUnit XML, go test, cargo test")
struct MoreLogParserTests {
    @Test("Django runtests --verbosity 2: ok, skipped, FAIL, ERROR, and an ok after interleaved output")
    func django() {
        let log = """
            test_ascii_validator (auth_tests.test_validators.UsernameValidatorsTests) ... ok
            test_unicode (auth_tests.test_validators.UsernameValidatorsTests) ... FAIL
            test_skip_me (auth_tests.test_validators.Other) ... skipped 'needs postgres'
            test_broken (auth_tests.test_validators.Other) ... ERROR
            test_chatty (migrations.test_writer.WriterTests.test_chatty) ... some output
            more output
            ok
            test_windows (x.Y) ...  OK
            ======================================================================
            FAIL: test_other (auth_tests.test_validators.Third)
            """
        let statuses = DjangoLogParser().parse(log)
        #expect(statuses["test_ascii_validator (auth_tests.test_validators.UsernameValidatorsTests)"] == .passed)
        #expect(statuses["test_unicode (auth_tests.test_validators.UsernameValidatorsTests)"] == .failed)
        #expect(statuses["test_skip_me (auth_tests.test_validators.Other)"] == .skipped)
        #expect(statuses["test_broken (auth_tests.test_validators.Other)"] == .error)
        #expect(statuses["test_chatty (migrations.test_writer.WriterTests.test_chatty)"] == .passed)
        #expect(statuses["test_windows (x.Y)"] == .passed)
        // SWE-bench keeps only the first word after "FAIL:" — the method name.
        #expect(statuses["test_other"] == .failed)
    }

    @Test("Django: a System check message between the name and its ok")
    func djangoInterrupted() {
        let log = "test_check (check_framework.tests.Checks) ... System check identified no issues (0 silenced)\nok\n"
        #expect(DjangoLogParser().parse(log)["test_check (check_framework.tests.Checks)"] == .passed)
    }

    @Test("SymPy bin/test: ok, F, E and traceback headers")
    func sympy() {
        let log = """
            sympy/core/tests/test_basic.py[3]
            test_one ok
            test_two F
            test_three E
            test_four ok                                                [FAIL]

            ________________________________________________________________________________
            _____________ sympy/core/tests/test_basic.py:test_two ______________
            """
        let statuses = SympyLogParser().parse(log)
        #expect(statuses == [
            "test_one": .passed, "test_two": .failed, "test_three": .error, "sympy/core/tests/test_basic.py:test_two": .failed,
        ])
    }

    @Test("pytest_v2: colour codes stripped; old-style 'node STATUS' lines read")
    func pytestV2() {
        let log = "\u{1B}[32mPASSED\u{1B}[0m tests/a.py::test_x\ntests/a.py::test_y FAILED\nFAILED tests/a.py::test_z - assert 0\n"
        #expect(PytestV2LogParser().parse(log) == ["tests/a.py::test_x": .passed, "tests/a.py::test_y": .failed, "tests/a.py::test_z": .failed])
    }

    @Test("pytest_options: an absolute-path parameter keeps its last component")
    func pytestOptions() {
        let log = "PASSED tests/test_a.py::test_file[/tmp/pytest-7/abc/data.txt]\nPASSED tests/test_a.py::test_url[//host/x]\n"
        #expect(PytestOptionsLogParser().parse(log) == ["tests/test_a.py::test_file[/data.txt]": .passed, "tests/test_a.py::test_url[//host/x]": .passed])
    }

    @Test("matplotlib and seaborn variants")
    func matplotlibAndSeaborn() {
        #expect(MatplotlibLogParser().parse("PASSED t.py::test_click[MouseButton.LEFT]\n") == ["t.py::test_click[1]": .passed])
        let seaborn = "FAILED t.py::test_a - boom\nt.py::test_b PASSED [ 50%]\nPASSED t.py::test_c\n"
        #expect(SeabornLogParser().parse(seaborn) == ["t.py::test_a": .failed, "t.py::test_b": .passed, "t.py::test_c": .passed])
    }

    @Test("pytest: CRLF logs and a non-status first word")
    func pytestEdges() {
        let statuses = PytestLogParser().parse("PASSED a.py::t1\r\nERROR: Wrong expression passed to '-m'\r\nFAILED a.py::t2 - x\r\n")
        #expect(statuses == ["a.py::t1": .passed, "a.py::t2": .failed])
    }

    @Test("a bare carriage return ends a line, as Python's universal newlines make it for SWE-bench's parsers; CRLF is one break")
    func carriageReturns() {
        #expect(LogText.lines("a\rb\r\nc\nd").map(String.init) == ["a", "b", "c", "d"])
        #expect(LogText.lines("\r\r\n").map(String.init) == ["", "", ""])
        // A progress line rewritten with \r, then the status of the test it was counting.
        let statuses = PytestLogParser().parse("collecting 1 item\rPASSED a.py::t1\rFAILED a.py::t2 - boom\n")
        #expect(statuses == ["a.py::t1": .passed, "a.py::t2": .failed])
    }

    @Test("JUnit XML: testcases with failure, error, skipped, and passing ones; text around is ignored")
    func junit() {
        let log = """
            [INFO] Running tests
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuite name="calc" tests="4">
              <testcase classname="com.example.CalcTest" name="adds" time="0.01"/>
              <testcase classname="com.example.CalcTest" name="divides" time="0.01">
                <failure message="expected 2">stack</failure>
              </testcase>
              <testcase classname="com.example.CalcTest" name="io &amp; more"><error type="IOException"/></testcase>
              <testcase name="later"><skipped/></testcase>
            </testsuite>
            BUILD FAILURE
            """
        #expect(JUnitXMLLogParser().parse(log) == [
            "com.example.CalcTest.adds": .passed, "com.example.CalcTest.divides": .failed, "com.example.CalcTest.io & more": .error,
            "later": .skipped,
        ])
    }

    @Test("go test -v: PASS, FAIL, SKIP and subtests; -run selects by top-level name")
    func goTest() {
        let log = """
            === RUN   TestAdd
            --- PASS: TestAdd (0.00s)
            === RUN   TestTable
                --- FAIL: TestTable/negative (0.00s)
                --- PASS: TestTable/zero (0.00s)
            --- FAIL: TestTable (0.00s)
            --- SKIP: TestSlow (0.00s)
            FAIL
            FAIL\texample.com/calc\t0.002s
            """
        #expect(GoTestLogParser().parse(log) == [
            "TestAdd": .passed, "TestTable/negative": .failed, "TestTable/zero": .passed, "TestTable": .failed, "TestSlow": .skipped,
        ])
        #expect(GoTestLogParser().selecting(["TestTable/zero", "TestAdd"], command: "go test -v ./...") == "go test -v ./... -run '^(TestAdd|TestTable)$'")
    }

    @Test("cargo test: ok, FAILED, ignored, doc-tests")
    func cargo() {
        let log = """
            running 4 tests
            test tests::adds ... ok
            test tests::divides ... FAILED
            test tests::slow ... ignored, takes a minute
            test src/lib.rs - add (line 3) ... ok
            test result: FAILED. 2 passed; 1 failed; 1 ignored
            """
        #expect(CargoTestLogParser().parse(log) == [
            "tests::adds": .passed, "tests::divides": .failed, "tests::slow": .skipped, "src/lib.rs - add (line 3)": .passed,
        ])
    }

    @Test("every parser is registered under its name")
    func registry() {
        for name in ["pytest", "pytest_v2", "pytest_options", "matplotlib", "seaborn", "django", "sympy", "junit_xml", "swift", "gotest", "cargo", "tap"] {
            #expect(TestLogParsers.named(name)?.name == name)
        }
    }
}

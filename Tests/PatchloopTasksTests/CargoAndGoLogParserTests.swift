import PatchloopTasks
import Testing

@Suite("cargo and go test log parsers")
struct CargoAndGoLogParserTests {
    @Test("cargo test: ok, FAILED and ignored lines")
    func cargo() {
        let log = """
            running 3 tests
            test tests::adds ... ok
            test tests::subtracts ... FAILED
            test tests::slow ... ignored
            test result: FAILED. 1 passed; 1 failed; 1 ignored
            """
        #expect(CargoTestLogParser().parse(log) == ["tests::adds": .passed, "tests::subtracts": .failed, "tests::slow": .skipped])
        #expect(TestLogParsers.named("cargo") != nil)
    }

    @Test("go test -v: PASS, FAIL and SKIP lines, subtests by their full names")
    func go() {
        let log = """
            === RUN   TestAdd
            --- PASS: TestAdd (0.00s)
            === RUN   TestSplit
                --- FAIL: TestSplit/empty (0.00s)
            --- FAIL: TestSplit (0.00s)
            --- SKIP: TestNetwork (0.00s)
            FAIL
            """
        #expect(GoTestLogParser().parse(log) == ["TestAdd": .passed, "TestSplit/empty": .failed, "TestSplit": .failed, "TestNetwork": .skipped])
        #expect(GoTestLogParser().selecting(["TestSplit/empty"], command: "go test -v ./...") == "go test -v ./... -run '^(TestSplit)$'")
    }
}

import Foundation
import PatchloopSolve
import PatchloopTesting
import Testing

@Suite("solve with failures that predate the issue", .serialized)
struct PreexistingFailuresTests {
    /// The calculator bug plus a test that fails for an unrelated reason.
    static let files = SolveFixtures.pythonFiles.merging([
        "tests/test_unrelated.py": "def test_network_needed():\n    assert False, 'needs a network'\n"
    ]) { $1 }

    @Test("strict by default (exit 1); --allow-preexisting-failures passes a patch that fixes the issue and breaks nothing")
    func preexistingFailures() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: PreexistingFailuresTests.files)

        let strict = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) { $0.outputDirectory = directory.path + "/strict" }, model: SolveFixtures.addFix)
        #expect(strict.exitCode == 1)
        #expect(strict.after?.failed == ["tests/test_unrelated.py::test_network_needed"])

        let lenient = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) {
                $0.outputDirectory = directory.path + "/lenient"
                $0.allowPreexistingFailures = true
            }, model: SolveFixtures.addFix)
        #expect(lenient.exitCode == 0)
        #expect(lenient.outcome == .passingPatch)

        // A patch that fixes nothing is still no passing patch.
        let useless = try await SolveFixtures.solve(
            SolveFixtures.request(repository, in: directory) {
                $0.outputDirectory = directory.path + "/useless"
                $0.allowPreexistingFailures = true
            }, model: SolveFixtures.fix("calc.py", "return a - b", "return b - a"))
        #expect(useless.exitCode == 1)
    }
}

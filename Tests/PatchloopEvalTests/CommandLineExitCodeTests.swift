import Foundation
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// Runs the built `patchloop` with `arguments`; standard error is merged into the output.
func runPatchloop(_ arguments: [String], in directory: String? = nil, environment: [String: String] = ProcessEnvironment.allowListed())
    async throws -> ProcessOutcome
{
    let executable = PackageLocation.executable
    try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
    return try await ProcessRunner().run(
        ProcessSpec(
            executable: executable, arguments: arguments, workingDirectory: directory, environment: environment, timeout: 300,
            mergeStandardError: true))
}

@Suite("the command line's exit codes")
struct CommandLineExitCodeTests {
    @Test(
        "every usage error the argument parser or validation reports exits 2 with a readable message",
        arguments: [
            (["eval", "--no-such-flag"], "Unknown option '--no-such-flag'"),
            (["eval", "--workers"], "Missing value for '--workers"),
            (["eval", "--workers", "0"], "--workers must be at least 1"),
            (["score", "--retry-errors"], "--retry-errors goes with --resume"),
            (["run", "Tasks/x", "--max-steps", "-1"], "--max-steps"),
            (["run", "--max-steps=-1", "Tasks/x"], "--max-steps must be at least 1"),
            (["run"], "Missing expected argument '<task>'"),
            (["no-such-command"], "Unexpected argument 'no-such-command'"),
        ])
    func usageErrorsExitTwo(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await runPatchloop(arguments, in: directory.path)
        #expect(outcome.exitCode == 2, "\(arguments): \(outcome.standardOutput.text)")
        #expect(outcome.standardOutput.text.contains(message), "\(arguments): \(outcome.standardOutput.text)")
        #expect(!outcome.standardOutput.text.contains("Fatal error"))
    }

    @Test("help and --version still exit 0")
    func helpExitsZero() async throws {
        for arguments in [["--help"], ["eval", "--help"], ["--version"], ["tasks"]] {
            let outcome = try await runPatchloop(arguments)
            #expect(outcome.exitCode == 0, "\(arguments): \(outcome.standardOutput.text)")
            #expect(!outcome.standardOutput.text.isEmpty)
        }
    }
}

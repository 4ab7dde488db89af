import Foundation
import PatchloopEval
import PatchloopTasks
import PatchloopTools
import PatchloopWorkspace

/// A detected test command run through `TaskTestSuite` (same sandbox, environment and
/// parsers as tasks), with one addition: when no per-test result can be read from the
/// output (no parser for the format, or a build that failed before any test ran), the
/// command's exit status is the verdict, reported as one pseudo-test and said in a note.
public struct DetectedTestSuite: TestSuite {
    public var detected: DetectedTestCommand
    public var suite: TaskTestSuite

    public init(_ detected: DetectedTestCommand, isolation: CommandIsolation, timeout: Double) throws {
        self.detected = detected
        let parser: any TestLogParser
        if let name = detected.parserName {
            guard let named = TestLogParsers.named(name) else {
                throw SolveError(.usage, "unknown test log parser '\(name)'; known: \((TestLogParsers.names + ["exit-status"]).joined(separator: ", "))")
            }
            parser = named
        } else {
            parser = NoPerTestResults()
        }
        suite = TaskTestSuite(command: detected.command, parser: parser, isolation: isolation, timeout: timeout)
    }

    /// The id of the pseudo-test that stands for the whole command.
    public var exitStatusTestID: String { "`\(detected.command)` (exit status)" }

    public func run(tests: [String], in worktree: String) async throws -> TestRunReport {
        var report = try await suite.run(tests: tests, in: worktree)
        if report.passed.isEmpty && report.failed.isEmpty && report.skipped.isEmpty {
            if report.exitCode == 0 && !report.timedOut {
                report.passed = [exitStatusTestID]
            } else {
                report.failed = [exitStatusTestID]
            }
            let note = "no per-test results could be read from the output, so the verdict is the exit status of `\(detected.command)` (0 passes)"
            report.note = [report.note, note].compactMap { $0 }.joined(separator: "; ")
        }
        return report
    }
}

/// For commands whose output has no format we read: nothing per test.
struct NoPerTestResults: TestLogParser {
    let name = "exit-status"
    func parse(_ log: String) -> [String: TestStatus] { [:] }
    func selecting(_ tests: [String], command: String) -> String? { nil }
}

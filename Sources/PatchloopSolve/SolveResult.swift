import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTools

/// One test run of `solve`, summarised.
public struct TestSummary: Sendable, Codable {
    public var passed: Int
    public var failed: [String]
    public var skipped: Int
    public var exitCode: Int32?
    public var timedOut: Bool
    public var duration: Double
    /// The note of the run (for instance: the verdict is the exit status).
    public var note: String?
    /// The last part of the output, for messages.
    public var outputTail: String

    public init(_ report: TestRunReport) {
        passed = report.passed.count
        failed = report.failed
        skipped = report.skipped.count
        exitCode = report.exitCode
        timedOut = report.timedOut
        duration = report.duration
        note = report.note
        outputTail = String(report.output.suffix(4000))
    }

    /// Every test passed and the command succeeded.
    public var allPassed: Bool { exitCode == 0 && !timedOut && failed.isEmpty && passed > 0 }

    /// `3 passed, 1 failed (exit 1, 2.3 s)`.
    public var line: String {
        var text = "\(passed) passed, \(failed.count) failed"
        if skipped > 0 { text += ", \(skipped) skipped" }
        text += " (\(timedOut ? "timed out" : exitCode.map { "exit \($0)" } ?? "killed"), \(String(format: "%.1f", duration)) s)"
        if !failed.isEmpty { text += "; failing: " + failed.prefix(10).joined(separator: ", ") + (failed.count > 10 ? ", …" : "") }
        if let note { text += "; note: \(note)" }
        return text
    }

    /// What the model is told about the tests before it starts.
    func promptText(command: String) -> String {
        var text = "<baseline_tests>\nBefore any change, `\(command)` gave: \(passed) passed, \(failed.count) failed"
        text += timedOut ? " (it timed out)." : " (exit \(exitCode.map(String.init) ?? "unknown"))."
        if !failed.isEmpty {
            text += "\nAlready failing: " + failed.prefix(30).joined(separator: ", ") + (failed.count > 30 ? ", … (\(failed.count) in all)" : "")
        }
        if let note { text += "\nNote: \(note)." }
        return text + "\n</baseline_tests>"
    }

    enum CodingKeys: String, CodingKey {
        case passed, failedCount = "failed", failed = "failing", skipped, exitCode = "exit_code", timedOut = "timed_out", duration
        case allPassed = "all_passed", note, outputTail = "output_tail"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        passed = try container.decode(Int.self, forKey: .passed)
        failed = try container.decode([String].self, forKey: .failed)
        skipped = try container.decode(Int.self, forKey: .skipped)
        exitCode = try container.decodeIfPresent(Int32.self, forKey: .exitCode)
        timedOut = try container.decode(Bool.self, forKey: .timedOut)
        duration = try container.decode(Double.self, forKey: .duration)
        note = try container.decodeIfPresent(String.self, forKey: .note)
        outputTail = try container.decodeIfPresent(String.self, forKey: .outputTail) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(passed, forKey: .passed)
        try container.encode(failed.count, forKey: .failedCount)
        try container.encode(failed, forKey: .failed)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(timedOut, forKey: .timedOut)
        try container.encode(duration, forKey: .duration)
        try container.encode(allPassed, forKey: .allPassed)
        try container.encode(note, forKey: .note)
    }
}

/// How `solve` ended, as `result.json` and the exit code say it.
public enum SolveOutcome: String, Sendable, Codable {
    /// A non-empty patch with which the tests pass (exit 0).
    case passingPatch = "passing_patch"
    /// A patch with which the tests still fail (exit 1).
    case testsFail = "tests_fail"
    /// No change at all (exit 1).
    case emptyPatch = "empty_patch"
    /// The provider failed and no passing patch was made (exit 3).
    case modelError = "model_error"
    /// The harness failed or the run was stopped, and no passing patch was made (exit 3).
    case infraError = "infra_error"

    /// The attempt record's category for this ending.
    var failureKind: FailureCategory.Kind {
        switch self {
        case .passingPatch: return .resolved
        case .testsFail: return .testFailure
        case .emptyPatch: return .emptyPatch
        case .modelError: return .modelError
        case .infraError: return .infraError
        }
    }
}

/// What `solve` produced: the attempt's record (as every command keeps it), the tests
/// before and after, what happened to the user's checkout, and the exit code (0 a patch
/// with the tests passing, 1 no passing patch within the budget, 3 a model or
/// infrastructure error without a passing patch).
public struct SolveResult: Sendable, Codable {
    /// The attempt, in the record every command shares. `solve` has no hidden tests, so it
    /// is not graded; its failure category follows the repository's own tests (`outcome`).
    public var record: AttemptRecord
    public var exitCode: Int32
    public var outcome: SolveOutcome
    public var tests: DetectedTestCommand
    public var before: TestSummary
    /// Nil when there was no patch to test.
    public var after: TestSummary?
    public var filesChanged: [String]
    public var resultPath: String
    public var repository: String
    public var head: String
    public var uncommitted: [String]
    public var includedUncommitted: Bool
    public var applied: Bool
    public var branch: String?
    public var branchCommit: String?
    /// The repository map and instructions given to the model (open JSON).
    public var repositoryContext: JSONValue

    /// A non-empty patch with which every test passes (or, when pre-existing failures are
    /// allowed, with which no passing test breaks and at least one failing test is fixed).
    public var passing: Bool { outcome == .passingPatch }

    public var patch: String { record.patch ?? "" }
    public var model: String { record.model }
    public var steps: Int { record.steps }
    public var usage: TokenUsage { record.usage }
    public var cost: Double? { record.cost }
    public var duration: Double { record.duration }
    public var detail: String { record.detail }
    /// How the loop ended (`tests_passed`, `submitted`, `budget_exhausted:steps`…).
    public var agentExitStatus: ExitStatus? { record.exitStatus }
    public var trajectoryPath: String { record.trajectoryPath ?? "" }
    public var patchPath: String { record.patchPath ?? "" }

    public init(
        record: AttemptRecord, tests: DetectedTestCommand, before: TestSummary, after: TestSummary?, resultPath: String, repository: String,
        head: String, uncommitted: [String], includedUncommitted: Bool, repositoryContext: JSONValue
    ) {
        self.record = record
        self.exitCode = SolveExitCode.noPassingPatch
        self.outcome = .emptyPatch
        self.tests = tests
        self.before = before
        self.after = after
        self.filesChanged = UnifiedDiff.parse(record.patch ?? "").touchedPaths
        self.resultPath = resultPath
        self.repository = repository
        self.head = head
        self.uncommitted = uncommitted
        self.includedUncommitted = includedUncommitted
        self.applied = false
        self.repositoryContext = repositoryContext
    }

    /// Whether the patch fixes something and breaks nothing, by test id, against the baseline.
    static func fixesWithoutBreaking(before: TestSummary?, after: TestSummary?) -> Bool {
        guard let before, let after, !after.timedOut, after.exitCode != nil else { return false }
        if after.allPassed { return true }
        let failingBefore = Set(before.failed)
        let failingAfter = Set(after.failed)
        return failingAfter.isSubset(of: failingBefore) && !failingBefore.subtracting(failingAfter).isEmpty
            && after.passed >= before.passed
    }

    /// Sets `outcome`, `exitCode` and the record's failure category from the patch, the
    /// tests after it and how the loop ended.
    mutating func decideExit(allowingPreexistingFailures: Bool = false) {
        let passes = !patch.isEmpty
            && (allowingPreexistingFailures ? SolveResult.fixesWithoutBreaking(before: before, after: after) : after?.allPassed == true)
        if passes {
            (exitCode, outcome) = (SolveExitCode.passingPatch, .passingPatch)
        } else if record.exitStatus == .modelError {
            (exitCode, outcome) = (SolveExitCode.infrastructureError, .modelError)
        } else if record.exitStatus == .infrastructureError || record.exitStatus == .cancelled {
            (exitCode, outcome) = (SolveExitCode.infrastructureError, .infraError)
        } else if patch.isEmpty {
            (exitCode, outcome) = (SolveExitCode.noPassingPatch, .emptyPatch)
        } else {
            (exitCode, outcome) = (SolveExitCode.noPassingPatch, .testsFail)
        }
        let evidence = after?.line ?? (record.detail.isEmpty ? outcome.rawValue : record.detail)
        record.failure = FailureCategory(outcome.failureKind, evidence: evidence)
    }

    enum CodingKeys: String, CodingKey {
        case record, exitCode = "exit_code", outcome, tests, before = "tests_before", after = "tests_after", filesChanged = "files_changed"
        case resultPath = "result_file", repository, head, uncommitted = "uncommitted_changes", includedUncommitted = "included_uncommitted"
        case applied, branch, branchCommit = "branch_commit", repositoryContext = "repository_context"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record, forKey: .record)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(tests, forKey: .tests)
        try container.encode(before, forKey: .before)
        try container.encode(after, forKey: .after)
        try container.encode(filesChanged, forKey: .filesChanged)
        try container.encode(resultPath, forKey: .resultPath)
        try container.encode(repository, forKey: .repository)
        try container.encode(head, forKey: .head)
        try container.encode(uncommitted, forKey: .uncommitted)
        try container.encode(includedUncommitted, forKey: .includedUncommitted)
        try container.encode(applied, forKey: .applied)
        try container.encode(branch, forKey: .branch)
        try container.encode(branchCommit, forKey: .branchCommit)
        try container.encode(repositoryContext, forKey: .repositoryContext)
    }
}

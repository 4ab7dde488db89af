import Foundation
import PatchloopCore
import PatchloopModels
import PatchloopTools

/// One test run of `solve`, summarised.
public struct TestSummary: Sendable {
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

    public var json: JSONValue {
        [
            "passed": .number(Double(passed)), "failed": .number(Double(failed.count)), "failing": .array(failed.map { .string($0) }),
            "skipped": .number(Double(skipped)), "exit_code": exitCode.map { .number(Double($0)) } ?? .null, "timed_out": .bool(timedOut),
            "duration": .number(duration), "all_passed": .bool(allPassed), "note": note.map { .string($0) } ?? .null,
        ]
    }
}

/// What `solve` produced: the patch, the tests before and after, the cost, and the exit
/// code (0 a patch with the tests passing, 1 no passing patch within the budget,
/// 3 a model or infrastructure error without a passing patch).
public struct SolveResult: Sendable {
    public var exitCode: Int32
    /// `passing_patch`, `tests_fail`, `empty_patch`, `model_error`, `infra_error`.
    public var outcome: String
    /// How the loop ended (`tests_passed`, `submitted`, `budget_exhausted:steps`…).
    public var agentExitStatus: String
    public var detail: String
    public var model: String
    public var tests: DetectedTestCommand
    public var before: TestSummary
    /// Nil when there was no patch to test.
    public var after: TestSummary?
    public var filesChanged: [String]
    public var steps: Int
    public var usage: TokenUsage
    public var cost: Double?
    public var duration: Double
    public var patch: String
    public var patchPath: String
    public var trajectoryPath: String
    public var resultPath: String
    public var repository: String
    public var head: String
    public var uncommitted: [String]
    public var includedUncommitted: Bool
    public var applied: Bool
    public var branch: String?
    public var branchCommit: String?
    public var repositoryContext: JSONValue

    /// A non-empty patch with which every test passes (or, when pre-existing failures are
    /// allowed, with which no passing test breaks and at least one failing test is fixed).
    public private(set) var passing = false

    /// Whether the patch fixes something and breaks nothing, by test id, against the baseline.
    static func fixesWithoutBreaking(before: TestSummary?, after: TestSummary?) -> Bool {
        guard let before, let after, !after.timedOut, after.exitCode != nil else { return false }
        if after.allPassed { return true }
        let failingBefore = Set(before.failed)
        let failingAfter = Set(after.failed)
        return failingAfter.isSubset(of: failingBefore) && !failingBefore.subtracting(failingAfter).isEmpty
            && after.passed >= before.passed
    }

    /// Sets `passing`, `exitCode` and `outcome` from the patch, the tests after it and how the loop ended.
    mutating func decideExit(allowingPreexistingFailures: Bool = false) {
        passing = !patch.isEmpty
            && (allowingPreexistingFailures ? SolveResult.fixesWithoutBreaking(before: before, after: after) : after?.allPassed == true)
        if passing {
            (exitCode, outcome) = (SolveExitCode.passingPatch, "passing_patch")
        } else if agentExitStatus == "model_error" || agentExitStatus == "infra_error" || agentExitStatus == "cancelled" {
            (exitCode, outcome) = (SolveExitCode.infrastructureError, agentExitStatus == "model_error" ? "model_error" : "infra_error")
        } else if patch.isEmpty {
            (exitCode, outcome) = (SolveExitCode.noPassingPatch, "empty_patch")
        } else {
            (exitCode, outcome) = (SolveExitCode.noPassingPatch, "tests_fail")
        }
    }

    /// The `--json` summary (also `result.json` in the run directory).
    public var json: JSONValue {
        [
            "exit_code": .number(Double(exitCode)), "outcome": .string(outcome), "agent_exit_status": .string(agentExitStatus),
            "detail": .string(detail), "model": .string(model), "repository": .string(repository), "head": .string(head),
            "uncommitted_changes": .array(uncommitted.map { .string($0) }), "included_uncommitted": .bool(includedUncommitted),
            "tests": tests.json, "tests_before": before.json, "tests_after": after?.json ?? .null,
            "files_changed": .array(filesChanged.map { .string($0) }), "steps": .number(Double(steps)), "tokens": usage.json,
            "total_tokens": .number(Double(usage.totalTokens)), "cost": cost.map { .number($0) } ?? .null, "duration": .number(duration),
            "patch": .string(patch), "patch_file": .string(patchPath), "trajectory": .string(trajectoryPath),
            "applied": .bool(applied), "branch": branch.map { .string($0) } ?? .null,
            "branch_commit": branchCommit.map { .string($0) } ?? .null, "repository_context": repositoryContext,
        ]
    }
}

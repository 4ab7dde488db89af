import Foundation
import PatchloopAgent

/// Why an attempt did or did not resolve its task, in one word, with the line of
/// evidence that shows it.
///
/// Categories: `resolved`, `empty_patch`, `patch_apply_error`, `syntax_error` (the patched
/// code does not parse or compile: Python, Swift, C and C++ are recognised),
/// `test_failure` (it runs, with a wrong result), `regression` (a PASS_TO_PASS test broke),
/// `timeout` (the tests hit their time limit: a performance problem),
/// `budget_exhausted:<kind>`, `stuck`, `format_errors`, `context_exhausted`, `model_error`,
/// `infra_error`.
public struct FailureCategory: Sendable, Hashable {
    public var category: String
    /// The line that shows it (a failing test, git's complaint, the budget…).
    public var evidence: String

    public init(_ category: String, evidence: String) {
        self.category = category
        self.evidence = evidence
    }

    /// Classifies one attempt. The only place categories are decided: extend it here.
    ///
    /// - Parameters:
    ///   - exitStatus: how the agent's loop ended (`submitted`, `budget_exhausted:steps`, …);
    ///     nil when the patch came from elsewhere (`patchloop score`).
    ///   - detail: the loop's words on its ending.
    ///   - patch: the candidate patch; nil when there was none at all.
    ///   - score: the grading; nil when the attempt was not graded.
    public static func classify(exitStatus: ExitStatus?, detail: String, patch: String?, score: ScoreReport?) -> FailureCategory {
        if let score, score.resolved {
            return FailureCategory(
                "resolved", evidence: "\(score.failToPass.success.count) FAIL_TO_PASS and \(score.passToPass.success.count) PASS_TO_PASS tests pass")
        }
        // How the loop ended explains an unfinished attempt better than its grade does.
        if let exitStatus {
            let category: String?
            switch exitStatus {
            case .submitted, .testsPassed: category = nil
            case .cancelled: category = "infra_error"
            case .formatError: category = "format_errors"
            case .budgetExhausted, .stuck, .modelError, .contextExhausted, .infrastructureError: category = exitStatus.description
            }
            if let category { return FailureCategory(category, evidence: firstLine(detail, orElse: exitStatus.description)) }
        }
        guard let score else {
            if (patch ?? "").isEmpty { return FailureCategory("empty_patch", evidence: patch == nil ? "no prediction" : "the patch is empty") }
            return FailureCategory("infra_error", evidence: firstLine(detail, orElse: "the attempt was not graded"))
        }
        if let failure = score.infrastructureFailure {
            return FailureCategory("infra_error", evidence: firstLine(failure, orElse: "harness failure"))
        }
        if (patch ?? "").isEmpty {
            return FailureCategory("empty_patch", evidence: patch == nil ? "no prediction" : "the patch is empty")
        }
        if !score.patchSuccessfullyApplied {
            let complaint = LogText.lines(score.applyLog).map { LogText.strip($0) }
                .last { $0.hasPrefix("error:") || $0.contains("FAILED") || $0.contains("malformed") } ?? "git apply, git apply --reject and patch --fuzz=5 all failed"
            return FailureCategory("patch_apply_error", evidence: complaint)
        }
        if score.testsTimedOut {
            return FailureCategory("timeout", evidence: String(format: "the test command was stopped after %.0f s", score.testDuration))
        }
        if let line = compileError(in: score.testLog) {
            return FailureCategory("syntax_error", evidence: line)
        }
        if !score.passToPass.failure.isEmpty {
            return FailureCategory("regression", evidence: "PASS_TO_PASS failing: " + listed(score.passToPass.failure))
        }
        return FailureCategory("test_failure", evidence: "FAIL_TO_PASS failing: " + listed(score.failToPass.failure))
    }

    /// The first line of a test log that shows code which does not parse or compile.
    static func compileError(in log: String) -> String? {
        for rawLine in LogText.lines(log) {
            let line = LogText.strip(rawLine).trimmingCharacters(in: .whitespaces)
            // Python: pytest's collection errors and tracebacks.
            if line.contains("SyntaxError:") || line.contains("IndentationError:") || line.contains("TabError:") {
                return line.count > 300 ? String(line.prefix(299)) + "…" : line
            }
            // Swift, C and C++ compilers: `file.ext:LINE:COLUMN: error: …` (XCTest's
            // assertion failures have no column, so they do not match).
            if line.firstMatch(of: #/\.(swift|c|h|cc|cpp|cxx|hpp|m):\d+:\d+: (fatal )?error: /#) != nil {
                return line.count > 300 ? String(line.prefix(299)) + "…" : line
            }
        }
        return nil
    }

    static func listed(_ tests: [String]) -> String {
        let shown = tests.prefix(3).joined(separator: ", ")
        return tests.count > 3 ? "\(shown) (+\(tests.count - 3) more)" : shown
    }

    static func firstLine(_ text: String, orElse fallback: String) -> String {
        let line = LogText.lines(text).map { LogText.strip($0) }.first { !$0.isEmpty } ?? ""
        let short = line.count > 300 ? String(line.prefix(299)) + "…" : line
        return short.isEmpty ? fallback : short
    }
}

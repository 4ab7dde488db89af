import Foundation
import PatchloopAgent
import PatchloopTasks

/// Why an attempt did or did not resolve its task, in one word, with the line of
/// evidence that shows it.
///
/// Categories: `resolved`, `empty_patch`, `patch_apply_error`, `syntax_error` (the patched
/// code does not parse or compile: Python, Swift, C and C++ are recognised),
/// `test_failure` (it runs, with a wrong result), `regression` (a PASS_TO_PASS test broke),
/// `timeout` (the tests hit their time limit: a performance problem),
/// `budget_exhausted:<kind>`, `stuck`, `format_errors`, `context_exhausted`, `model_error`,
/// `infra_error`, `environment_error` (the task's environment could not be built or its test
/// command could not start: infrastructure, never the model's).
public struct FailureCategory: Sendable, Hashable {
    /// The categories, written as their `description` (`budget_exhausted:steps`, `syntax_error`…).
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        case resolved, emptyPatch, patchApplyError, syntaxError, testFailure, regression, timeout
        case budgetExhausted(BudgetKind)
        case stuck, formatErrors, contextExhausted, modelError, infraError, environmentError

        public var description: String {
            switch self {
            case .resolved: return "resolved"
            case .emptyPatch: return "empty_patch"
            case .patchApplyError: return "patch_apply_error"
            case .syntaxError: return "syntax_error"
            case .testFailure: return "test_failure"
            case .regression: return "regression"
            case .timeout: return "timeout"
            case .budgetExhausted(let kind): return "budget_exhausted:\(kind.rawValue)"
            case .stuck: return "stuck"
            case .formatErrors: return "format_errors"
            case .contextExhausted: return "context_exhausted"
            case .modelError: return "model_error"
            case .infraError: return "infra_error"
            case .environmentError: return "environment_error"
            }
        }

        static let simple: [Kind] = [
            .resolved, .emptyPatch, .patchApplyError, .syntaxError, .testFailure, .regression, .timeout, .stuck, .formatErrors,
            .contextExhausted, .modelError, .infraError, .environmentError,
        ]

        /// Reads the written form back; nil for a name no version of Patchloop writes.
        public init?(_ text: String) {
            if let kind = Kind.simple.first(where: { $0.description == text }) {
                self = kind
            } else if text.hasPrefix("budget_exhausted:"), let budget = BudgetKind(rawValue: String(text.dropFirst("budget_exhausted:".count))) {
                self = .budgetExhausted(budget)
            } else {
                return nil
            }
        }

        /// The harness or the provider failed, not the model's work: `--retry-errors` redoes these.
        public var isError: Bool { self == .infraError || self == .modelError || self == .environmentError }
    }

    public var kind: Kind
    /// The written form of `kind`.
    public var category: String { kind.description }
    /// The line that shows it (a failing test, git's complaint, the budget…).
    public var evidence: String

    public init(_ kind: Kind, evidence: String) {
        self.kind = kind
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
                .resolved, evidence: "\(score.failToPass.success.count) FAIL_TO_PASS and \(score.passToPass.success.count) PASS_TO_PASS tests pass")
        }
        // How the loop ended explains an unfinished attempt better than its grade does.
        if let exitStatus {
            let category: Kind?
            switch exitStatus {
            case .submitted, .testsPassed: category = nil
            case .cancelled, .infrastructureError: category = .infraError
            case .formatError: category = .formatErrors
            case .budgetExhausted(let budget): category = .budgetExhausted(budget)
            case .stuck: category = .stuck
            case .modelError: category = .modelError
            case .contextExhausted: category = .contextExhausted
            }
            if category == .infraError, let line = environmentErrorLine(detail) { return FailureCategory(.environmentError, evidence: line) }
            if let category { return FailureCategory(category, evidence: firstLine(detail, orElse: exitStatus.description)) }
        }
        guard let score else {
            if (patch ?? "").isEmpty { return FailureCategory(.emptyPatch, evidence: patch == nil ? "no prediction" : "the patch is empty") }
            if let line = environmentErrorLine(detail) { return FailureCategory(.environmentError, evidence: line) }
            return FailureCategory(.infraError, evidence: firstLine(detail, orElse: "the attempt was not graded"))
        }
        if let failure = score.infrastructureFailure {
            if let line = environmentErrorLine(failure) { return FailureCategory(.environmentError, evidence: line) }
            return FailureCategory(.infraError, evidence: firstLine(failure, orElse: "harness failure"))
        }
        if (patch ?? "").isEmpty {
            return FailureCategory(.emptyPatch, evidence: patch == nil ? "no prediction" : "the patch is empty")
        }
        if !score.patchSuccessfullyApplied {
            let complaint = LogText.lines(score.applyLog).map { LogText.strip($0) }
                .last { $0.hasPrefix("error:") || $0.contains("FAILED") || $0.contains("malformed") } ?? "git apply, git apply --reject and patch --fuzz=5 all failed"
            return FailureCategory(.patchApplyError, evidence: complaint)
        }
        // The shell's "command not found": the environment is broken, the patch is not to blame.
        if score.testExitCode == 127, score.failToPass.success.isEmpty, score.passToPass.success.isEmpty {
            let line = LogText.lines(score.testLog).map { LogText.strip($0) }.last { $0.contains("not found") || $0.contains("No such file") }
            return FailureCategory(.environmentError, evidence: line ?? "the test command could not start (exit 127)")
        }
        if score.testsTimedOut {
            return FailureCategory(.timeout, evidence: String(format: "the test command was stopped after %.0f s", score.testDuration))
        }
        if let reason = score.ungradedReason {
            return FailureCategory(.testFailure, evidence: reason)
        }
        if let line = compileError(in: score.testLog) {
            return FailureCategory(.syntaxError, evidence: line)
        }
        if !score.passToPass.failure.isEmpty {
            return FailureCategory(.regression, evidence: "PASS_TO_PASS failing: " + listed(score.passToPass.failure))
        }
        return FailureCategory(.testFailure, evidence: "FAIL_TO_PASS failing: " + listed(score.failToPass.failure))
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

    /// The message of an `EnvironmentError` quoted in `text` (it starts `environment_error: `).
    static func environmentErrorLine(_ text: String) -> String? {
        guard let range = text.range(of: "environment_error: ") else { return nil }
        return firstLine(String(text[range.upperBound...]), orElse: "the task's environment is not usable")
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

import Foundation
import PatchloopCore
import PatchloopModels

/// Why an attempt ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The model called `submit`.
    case submitted
    /// A `run_tests` call passed completely after a change was made (the default stop).
    case testsPassed
    case budgetExhausted(BudgetKind)
    /// Three malformed or unknown tool calls (or answers with no call) in a row.
    case formatError
    /// The same call with the same observation again after a warning.
    case stuck
    /// The model's provider failed in a way retries did not fix.
    case modelError
    /// The conversation no longer fits the model's window, even after compaction.
    case contextExhausted
    /// The harness itself failed (sandbox, git, disk).
    case infrastructureError
    /// The run was cancelled from outside.
    case cancelled

    /// The status as trajectories and results write it: `submitted`, `budget_exhausted:steps`, …
    public var description: String {
        switch self {
        case .submitted: return "submitted"
        case .testsPassed: return "tests_passed"
        case .budgetExhausted(let kind): return "budget_exhausted:\(kind.rawValue)"
        case .formatError: return "format_error"
        case .stuck: return "stuck"
        case .modelError: return "model_error"
        case .contextExhausted: return "context_exhausted"
        case .infrastructureError: return "infra_error"
        case .cancelled: return "cancelled"
        }
    }

    public init?(_ text: String) {
        switch text {
        case "submitted": self = .submitted
        case "tests_passed": self = .testsPassed
        case "format_error": self = .formatError
        case "stuck": self = .stuck
        case "model_error": self = .modelError
        case "context_exhausted": self = .contextExhausted
        case "infra_error": self = .infrastructureError
        case "cancelled": self = .cancelled
        default:
            guard text.hasPrefix("budget_exhausted:"), let kind = BudgetKind(rawValue: String(text.dropFirst(17))) else { return nil }
            self = .budgetExhausted(kind)
        }
    }
}

extension ExitStatus: Codable {
    /// Written as the string trajectories and results use (`budget_exhausted:steps`).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let status = ExitStatus(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown exit status '\(text)'"))
        }
        self = status
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The outcome of one attempt of the loop (before scoring).
public struct AgentOutcome: Sendable {
    public var exitStatus: ExitStatus
    /// What ended it, in words (the budget, the error message…).
    public var detail: String
    /// The attempt's diff from the base commit.
    public var patch: String
    public var steps: Int
    public var usage: TokenUsage
    /// Nil when the model's price is unknown.
    public var cost: Double?
    public var duration: Double
    public var trajectoryPath: String
}

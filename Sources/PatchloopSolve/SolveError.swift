import Foundation

/// Why `solve` could not do its work, with the exit code a CI job acts on.
public struct SolveError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure: the user's input, or the machinery.
    public enum Kind: Sendable, Hashable {
        /// Bad options or input (exit code 2).
        case usage
        /// The sandbox, git, the tests' toolchain or the model failed (exit code 3).
        case infrastructure
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// 2 for usage errors, 3 for infrastructure errors.
    public var exitCode: Int32 { kind == .usage ? SolveExitCode.usageError : SolveExitCode.infrastructureError }
}

/// The exit codes of `patchloop solve`, as `--help` and the README document them.
public enum SolveExitCode {
    /// A patch was made and the tests pass with it.
    public static let passingPatch: Int32 = 0
    /// No patch that passes the tests within the budget.
    public static let noPassingPatch: Int32 = 1
    /// Usage or input error (bad option, not a git repository, no issue text, no test command found).
    public static let usageError: Int32 = 2
    /// Infrastructure or model error (sandbox, git, test toolchain missing, model failure).
    public static let infrastructureError: Int32 = 3
}

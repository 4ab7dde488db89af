/// A synthesis that cannot go on; the message says what happened and what to do.
public struct SynthError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// Bad input: no repository, a suite that does not run or passes nothing (exit 2).
        case usage
        /// Git, the sandbox or a helper failed (exit 3).
        case infrastructure
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// The exit code the command line ends with.
    public var exitCode: Int32 { kind == .usage ? 2 : 3 }
}

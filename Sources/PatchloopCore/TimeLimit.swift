import Foundation

/// A piece of work ran past the time it was given, and was cancelled.
public struct TimeLimitExceeded: Error, CustomStringConvertible, Sendable {
    /// The seconds the work was given.
    public var limit: Double
    /// Seconds spent waiting before the work began (a model slot), which the limit did not count.
    public var waited: Double

    public init(limit: Double, waited: Double = 0) {
        self.limit = limit
        self.waited = waited
    }

    public var description: String { String(format: "the time left (%.1f s) ran out before it finished", limit) }
}

/// Runs `body`, cancelling it when `seconds` pass (no limit when nil). `body` must honour
/// cancellation promptly — a curl transfer and a child process do: the transfer is aborted,
/// the process group killed — because the limit returns only once `body` has ended.
///
/// Throws `TimeLimitExceeded` when the time passed first, else whatever `body` threw.
public func withTimeLimit<Result: Sendable>(
    _ seconds: Double?, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    guard let seconds else { return try await body() }
    guard seconds > 0 else { throw TimeLimitExceeded(limit: 0) }
    return try await withThrowingTaskGroup(of: Finished<Result>.self) { group in
        group.addTask { .value(try await body()) }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(min(seconds, 1e9 / 1000) * 1000)))
            return .timeUp
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        switch first {
        case .value(let value): return value
        case .timeUp: throw TimeLimitExceeded(limit: seconds)
        }
    }
}

private enum Finished<Result: Sendable>: Sendable {
    case value(Result)
    case timeUp
}

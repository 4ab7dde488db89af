import Foundation

/// One slice of a run: `index` of `count`, 0-based (`--shard 0/4` … `--shard 3/4`), so
/// a Kubernetes `JOB_COMPLETION_INDEX` or a SLURM `SLURM_ARRAY_TASK_ID` (with
/// `--array=0-3`) can be passed as it is.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ShardError("--shard: the shard count must be at least 1") }
        guard (0..<count).contains(index) else {
            throw ShardError("--shard \(index)/\(count): the index is 0-based, from 0 to \(count - 1)")
        }
        self.index = index
        self.count = count
    }

    /// Parses `i/N`.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ShardError("--shard '\(text)' must be INDEX/COUNT, e.g. 0/4 (0-based)")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// This shard's tasks: those whose position in the id-sorted list is `index` modulo
    /// `count`. Deterministic, balanced, and every task is in exactly one shard; all
    /// attempts of a task stay together, so pass@k can be computed per shard and merged.
    public func select(_ instanceIDs: [String]) -> [String] {
        instanceIDs.sorted().enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}

/// A `--shard` value that cannot be used.
public struct ShardError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

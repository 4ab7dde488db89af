import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopModels

/// What a set of scored attempts adds up to, per failure category: how many, what share,
/// and what they cost in tokens and dollars.
public struct FailureStatistics: Sendable {
    public struct Row: Sendable {
        public var category: String
        public var count: Int
        public var tokens: Int
        /// Nil when any attempt in the category had no known price.
        public var cost: Double?
        /// One piece of evidence, from the first attempt in the category.
        public var example: String
    }

    public var rows: [Row]
    public var attempts: Int
    public var tasks: Int

    /// Tallies the records of the run directories at `paths` (eval or score runs).
    public init(runDirectories paths: [String]) throws {
        var records: [AttemptRecord] = []
        for path in paths {
            let directory = RunDirectory(path)
            guard FileManager.default.fileExists(atPath: directory.resultsDirectory) else {
                throw ExportError("\(path) has no results/ folder: give the directory of an `eval` or `score` run")
            }
            records += try directory.loadRecords().records
        }
        self.init(records: records)
    }

    public init(records: [AttemptRecord]) {
        var grouped: [String: Row] = [:]
        for record in records {
            var row = grouped[record.failure.category] ?? Row(category: record.failure.category, count: 0, tokens: 0, cost: 0, example: record.failure.evidence)
            row.count += 1
            row.tokens += record.usage.totalTokens
            row.cost = row.cost.flatMap { total in record.cost.map { total + $0 } }
            grouped[record.failure.category] = row
        }
        // Resolved first, then by count.
        rows = grouped.values.sorted { lhs, rhs in
            let resolved = FailureCategory.Kind.resolved.description
            if (lhs.category == resolved) != (rhs.category == resolved) { return lhs.category == resolved }
            return lhs.count != rhs.count ? lhs.count > rhs.count : lhs.category < rhs.category
        }
        attempts = records.count
        tasks = Set(records.map(\.instanceID)).count
    }

    public var json: JSONValue {
        [
            "attempts": .number(Double(attempts)), "tasks": .number(Double(tasks)),
            "categories": .array(
                rows.map { row in
                    [
                        "category": .string(row.category), "count": .number(Double(row.count)),
                        "rate": .number(attempts == 0 ? 0 : Double(row.count) / Double(attempts)),
                        "tokens": .number(Double(row.tokens)), "tokens_per_attempt": .number(Double(row.tokens) / Double(max(1, row.count))),
                        "cost": row.cost.map { .number($0) } ?? .null, "example_evidence": .string(row.example),
                    ]
                }),
        ]
    }

    /// A table for a terminal.
    public var table: String {
        var text = "category                   count   rate    tokens  tokens/attempt       cost  example\n"
        for row in rows {
            let rate = attempts == 0 ? 0 : 100 * Double(row.count) / Double(attempts)
            let cost = row.cost.map { String(format: "$%.4f", $0) } ?? "unknown"
            let example = row.example.count > 60 ? String(row.example.prefix(59)) + "…" : row.example
            text += String(
                format: "%@ %5d %5.1f%% %9d %15d %10@  %@\n", row.category.padding(toLength: 24, withPad: " ", startingAt: 0), row.count, rate,
                row.tokens, row.tokens / max(1, row.count), cost, example)
        }
        text += "\(attempts) attempts over \(tasks) tasks\n"
        return text
    }
}

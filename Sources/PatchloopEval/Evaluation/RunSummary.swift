import Foundation
import PatchloopCore
import PatchloopModels

/// The run-level summary (`summary.json`): SWE-bench's run-report keys
/// (`reporting.py::make_run_report`, schema version 2) plus resolve rate, pass@k over
/// attempts, tokens, cost and time, per run and per task.
///
/// SWE-bench's keys are per instance; with several attempts each instance is judged by
/// its first finished attempt (the one `predictions.jsonl` lists first), and pass@k uses
/// them all. An instance counts as: incomplete without an attempt; `empty_patch` when
/// its patch is empty; completed (resolved or unresolved) when graded; `error` otherwise.
public struct RunSummary: Sendable {
    /// Every instance of the task set (before sharding).
    public var instanceIDs: [String]
    public var attemptsPerInstance: Int
    public var records: [AttemptRecord]
    public var model: String
    /// The global budget and whether it stopped the run.
    public var budget: TotalBudget
    public var budgetExhausted: String?

    public init(instanceIDs: [String], attemptsPerInstance: Int, records: [AttemptRecord], model: String, budget: TotalBudget, budgetExhausted: String?) {
        self.instanceIDs = instanceIDs
        self.attemptsPerInstance = attemptsPerInstance
        self.records = records
        self.model = model
        self.budget = budget
        self.budgetExhausted = budgetExhausted
    }

    public var json: JSONValue {
        let byInstance = Dictionary(grouping: records, by: \.instanceID).mapValues { $0.sorted { $0.attempt < $1.attempt } }
        var completed: [String] = [], incomplete: [String] = [], empty: [String] = [], submitted: [String] = []
        var resolved: [String] = [], unresolved: [String] = [], errors: [String] = []
        for id in instanceIDs.sorted() {
            guard let first = byInstance[id]?.first else {
                incomplete.append(id)
                continue
            }
            submitted.append(id)
            if !first.hasPatch && !first.failure.kind.isError {
                empty.append(id)
            } else if first.graded {
                completed.append(id)
                if first.resolved { resolved.append(id) } else { unresolved.append(id) }
            } else {
                errors.append(id)
            }
        }
        func ids(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
        func number(_ value: Int) -> JSONValue { .number(Double(value)) }

        let total = instanceIDs.count
        var usage = TokenUsage()
        var cost = 0.0
        var unknownCost = 0
        var categories: [String: Int] = [:]
        for record in records {
            usage = usage + record.usage
            if let value = record.cost { cost += value } else if record.exitStatus != nil { unknownCost += 1 }
            categories[record.failure.category, default: 0] += 1
        }
        var perInstance: [String: JSONValue] = [:]
        for (id, attempts) in byInstance {
            perInstance[id] = [
                "attempts": number(attempts.count), "resolved_attempts": number(attempts.filter(\.resolved).count),
                "total_tokens": number(attempts.reduce(0) { $0 + $1.usage.totalTokens }),
                "cost": .number(attempts.reduce(0) { $0 + ($1.cost ?? 0) }),
                "duration": .number(attempts.reduce(0) { $0 + $1.duration }),
                "failure_categories": .array(attempts.map { .string($0.failure.category) }),
            ]
        }
        let started = records.map(\.startedAt).min()
        let finished = records.map(\.finishedAt).max()
        return [
            "total_instances": number(total), "submitted_instances": number(submitted.count), "completed_instances": number(completed.count),
            "resolved_instances": number(resolved.count), "unresolved_instances": number(unresolved.count),
            "empty_patch_instances": number(empty.count), "error_instances": number(errors.count),
            "completed_ids": ids(completed), "incomplete_ids": ids(incomplete), "empty_patch_ids": ids(empty), "submitted_ids": ids(submitted),
            "resolved_ids": ids(resolved), "unresolved_ids": ids(unresolved), "error_ids": ids(errors), "schema_version": 2,
            "model_name_or_path": .string(model),
            "resolve_rate": .number(total == 0 ? 0 : Double(resolved.count) / Double(total)),
            "attempts_per_instance": number(attemptsPerInstance),
            "attempts": [
                "planned": number(total * attemptsPerInstance), "finished": number(records.count),
                "resolved": number(records.filter(\.resolved).count),
            ],
            "pass_at_k": .object(
                Dictionary(uniqueKeysWithValues: (1...max(1, attemptsPerInstance)).map { k in
                    (String(k), JSONValue.number(RunSummary.passAtK(k, byInstance: byInstance, total: total)))
                })),
            "failure_categories": .object(categories.mapValues { .number(Double($0)) }),
            "tokens": usage.json.objectValue.map { object in
                var object = object
                object["total_tokens"] = number(usage.totalTokens)
                return .object(object)
            } ?? .null,
            "cost": .number(cost), "attempts_with_unknown_cost": number(unknownCost),
            "per_instance": .object(perInstance),
            "time": [
                "attempt_seconds": .number(records.reduce(0) { $0 + $1.duration }),
                "wall_seconds": .number(started.flatMap { start in finished.map { $0.timeIntervalSince(start) } } ?? 0),
            ],
            "budget": [
                "max_total_cost": budget.maxCost.map { .number($0) } ?? .null,
                "max_total_tokens": budget.maxTokens.map { .number(Double($0)) } ?? .null,
                "exhausted": budgetExhausted.map { .string($0) } ?? .null,
                "not_started_attempts": number(total * attemptsPerInstance - records.count),
            ],
        ]
    }

    /// The unbiased pass@k estimator (Chen et al., 2021) averaged over all instances:
    /// 1 − C(n−c, k) / C(n, k) for an instance with n finished attempts, c of them
    /// resolved. With fewer than k attempts finished, an instance passes if any did.
    /// Instances without attempts count as failures.
    static func passAtK(_ k: Int, byInstance: [String: [AttemptRecord]], total: Int) -> Double {
        guard total > 0 else { return 0 }
        var sum = 0.0
        for attempts in byInstance.values {
            let n = attempts.count
            let c = attempts.filter(\.resolved).count
            if n < k {
                sum += c > 0 ? 1 : 0
            } else if n - c < k {
                sum += 1
            } else {
                // C(n-c, k) / C(n, k) = Π_{i=n-c+1..n} (1 - k/i)
                var fail = 1.0
                if c > 0 { for i in (n - c + 1)...n { fail *= 1 - Double(k) / Double(i) } }
                sum += 1 - fail
            }
        }
        return sum / Double(total)
    }
}

/// Limits on a whole run: once finished attempts have spent this much, no new attempt starts.
public struct TotalBudget: Sendable, Hashable {
    public var maxCost: Double?
    public var maxTokens: Int?

    public init(maxCost: Double? = nil, maxTokens: Int? = nil) {
        self.maxCost = maxCost
        self.maxTokens = maxTokens
    }

    /// Which limit `records` have reached, if any: `cost` or `tokens`, and the amounts in words.
    public func exhausted(by records: some Sequence<AttemptRecord>) -> (kind: String, message: String)? {
        var cost = 0.0
        var tokens = 0
        for record in records {
            cost += record.cost ?? 0
            tokens += record.usage.totalTokens
        }
        if let maxCost, cost >= maxCost {
            return ("cost", String(format: "$%.4f spent of --max-total-cost $%.4f", cost, maxCost))
        }
        if let maxTokens, tokens >= maxTokens { return ("tokens", "\(tokens) tokens spent of --max-total-tokens \(maxTokens)") }
        return nil
    }
}

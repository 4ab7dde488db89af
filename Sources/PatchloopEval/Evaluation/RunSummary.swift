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

    /// The summary as `summary.json` holds it.
    public var document: Document {
        let byInstance = Dictionary(grouping: records, by: \.instanceID).mapValues { $0.sorted { $0.attempt < $1.attempt } }
        var document = Document(model: model, attemptsPerInstance: attemptsPerInstance)
        for id in instanceIDs.sorted() {
            guard let first = byInstance[id]?.first else {
                document.incompleteIDs.append(id)
                continue
            }
            document.submittedIDs.append(id)
            // SWE-bench's make_run_report: an empty patch is an empty-patch instance whatever
            // ended the attempt (a model error included), never a completed or error one.
            if !first.hasPatch {
                document.emptyPatchIDs.append(id)
            } else if first.graded {
                document.completedIDs.append(id)
                if first.resolved { document.resolvedIDs.append(id) } else { document.unresolvedIDs.append(id) }
            } else {
                document.errorIDs.append(id)
            }
        }
        let total = instanceIDs.count
        document.totalInstances = total
        document.resolveRate = total == 0 ? 0 : Double(document.resolvedIDs.count) / Double(total)
        var usage = TokenUsage()
        for record in records {
            usage = usage + record.usage
            if let value = record.cost { document.cost += value } else if record.exitStatus != nil { document.attemptsWithUnknownCost += 1 }
            document.failureCategories[record.failure.category, default: 0] += 1
        }
        document.tokens = Document.Tokens(usage)
        document.attempts = Document.Attempts(
            planned: total * attemptsPerInstance, finished: records.count, resolved: records.filter(\.resolved).count)
        for k in 1...max(1, attemptsPerInstance) {
            document.passAtK[String(k)] = RunSummary.passAtK(k, byInstance: byInstance, total: total)
        }
        for (id, attempts) in byInstance {
            document.perInstance[id] = Document.Instance(
                attempts: attempts.count, resolvedAttempts: attempts.filter(\.resolved).count,
                totalTokens: attempts.reduce(0) { $0 + $1.usage.totalTokens }, cost: attempts.reduce(0) { $0 + ($1.cost ?? 0) },
                duration: attempts.reduce(0) { $0 + $1.duration }, failureCategories: attempts.map(\.failure.category))
        }
        let started = records.map(\.startedAt).min()
        let finished = records.map(\.finishedAt).max()
        document.time = Document.Time(
            attemptSeconds: records.reduce(0) { $0 + $1.duration },
            wallSeconds: started.flatMap { start in finished.map { $0.timeIntervalSince(start) } } ?? 0)
        document.budget = Document.Budget(
            maxTotalCost: budget.maxCost, maxTotalTokens: budget.maxTokens, exhausted: budgetExhausted,
            notStartedAttempts: total * attemptsPerInstance - records.count)
        return document
    }

    /// `summary.json`: SWE-bench's run-report keys (`schema_version` 2) and Patchloop's.
    public struct Document: Codable, Sendable {
        public struct Attempts: Codable, Sendable {
            public var planned = 0, finished = 0, resolved = 0
        }

        public struct Tokens: Codable, Sendable {
            public var inputTokens = 0, outputTokens = 0, cachedInputTokens = 0, cacheWriteTokens = 0, totalTokens = 0

            init(_ usage: TokenUsage) {
                (inputTokens, outputTokens) = (usage.inputTokens, usage.outputTokens)
                (cachedInputTokens, cacheWriteTokens, totalTokens) = (usage.cachedInputTokens, usage.cacheWriteTokens, usage.totalTokens)
            }

            enum CodingKeys: String, CodingKey {
                case inputTokens = "input_tokens", outputTokens = "output_tokens", cachedInputTokens = "cached_input_tokens"
                case cacheWriteTokens = "cache_write_tokens", totalTokens = "total_tokens"
            }
        }

        public struct Instance: Codable, Sendable {
            public var attempts: Int
            public var resolvedAttempts: Int
            public var totalTokens: Int
            public var cost: Double
            public var duration: Double
            public var failureCategories: [String]

            enum CodingKeys: String, CodingKey {
                case attempts, resolvedAttempts = "resolved_attempts", totalTokens = "total_tokens", cost, duration
                case failureCategories = "failure_categories"
            }
        }

        public struct Time: Codable, Sendable {
            public var attemptSeconds = 0.0, wallSeconds = 0.0

            enum CodingKeys: String, CodingKey { case attemptSeconds = "attempt_seconds", wallSeconds = "wall_seconds" }
        }

        public struct Budget: Codable, Sendable {
            public var maxTotalCost: Double?
            public var maxTotalTokens: Int?
            public var exhausted: String?
            public var notStartedAttempts = 0

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(maxTotalCost, forKey: .maxTotalCost)
                try container.encode(maxTotalTokens, forKey: .maxTotalTokens)
                try container.encode(exhausted, forKey: .exhausted)
                try container.encode(notStartedAttempts, forKey: .notStartedAttempts)
            }

            enum CodingKeys: String, CodingKey {
                case maxTotalCost = "max_total_cost", maxTotalTokens = "max_total_tokens", exhausted, notStartedAttempts = "not_started_attempts"
            }
        }

        /// Patchloop's version of this file's shape.
        public var formatVersion = 2
        /// SWE-bench's `make_run_report` schema.
        public var schemaVersion = 2
        public var model: String
        public var totalInstances = 0
        public var submittedIDs: [String] = [], completedIDs: [String] = [], incompleteIDs: [String] = [], emptyPatchIDs: [String] = []
        public var resolvedIDs: [String] = [], unresolvedIDs: [String] = [], errorIDs: [String] = []
        public var resolveRate = 0.0
        public var attemptsPerInstance: Int
        public var attempts = Attempts()
        /// pass@k by k ("1", "2", …).
        public var passAtK: [String: Double] = [:]
        public var failureCategories: [String: Int] = [:]
        public var tokens = Tokens(TokenUsage())
        public var cost = 0.0
        public var attemptsWithUnknownCost = 0
        public var perInstance: [String: Instance] = [:]
        public var time = Time()
        public var budget = Budget()

        init(model: String, attemptsPerInstance: Int) {
            self.model = model
            self.attemptsPerInstance = attemptsPerInstance
        }

        enum CodingKeys: String, CodingKey {
            case formatVersion = "format_version", schemaVersion = "schema_version", model = "model_name_or_path"
            case totalInstances = "total_instances", submittedInstances = "submitted_instances", completedInstances = "completed_instances"
            case resolvedInstances = "resolved_instances", unresolvedInstances = "unresolved_instances"
            case emptyPatchInstances = "empty_patch_instances", errorInstances = "error_instances"
            case submittedIDs = "submitted_ids", completedIDs = "completed_ids", incompleteIDs = "incomplete_ids"
            case emptyPatchIDs = "empty_patch_ids", resolvedIDs = "resolved_ids", unresolvedIDs = "unresolved_ids", errorIDs = "error_ids"
            case resolveRate = "resolve_rate", attemptsPerInstance = "attempts_per_instance", attempts, passAtK = "pass_at_k"
            case failureCategories = "failure_categories", tokens, cost, attemptsWithUnknownCost = "attempts_with_unknown_cost"
            case perInstance = "per_instance", time, budget
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            formatVersion = try container.decodeIfPresent(Int.self, forKey: .formatVersion) ?? 1
            schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 2
            model = try container.decode(String.self, forKey: .model)
            totalInstances = try container.decode(Int.self, forKey: .totalInstances)
            submittedIDs = try container.decode([String].self, forKey: .submittedIDs)
            completedIDs = try container.decode([String].self, forKey: .completedIDs)
            incompleteIDs = try container.decode([String].self, forKey: .incompleteIDs)
            emptyPatchIDs = try container.decode([String].self, forKey: .emptyPatchIDs)
            resolvedIDs = try container.decode([String].self, forKey: .resolvedIDs)
            unresolvedIDs = try container.decode([String].self, forKey: .unresolvedIDs)
            errorIDs = try container.decode([String].self, forKey: .errorIDs)
            resolveRate = try container.decode(Double.self, forKey: .resolveRate)
            attemptsPerInstance = try container.decode(Int.self, forKey: .attemptsPerInstance)
            attempts = try container.decode(Attempts.self, forKey: .attempts)
            passAtK = try container.decode([String: Double].self, forKey: .passAtK)
            failureCategories = try container.decode([String: Int].self, forKey: .failureCategories)
            tokens = try container.decode(Tokens.self, forKey: .tokens)
            cost = try container.decode(Double.self, forKey: .cost)
            attemptsWithUnknownCost = try container.decode(Int.self, forKey: .attemptsWithUnknownCost)
            perInstance = try container.decode([String: Instance].self, forKey: .perInstance)
            time = try container.decode(Time.self, forKey: .time)
            budget = try container.decode(Budget.self, forKey: .budget)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(formatVersion, forKey: .formatVersion)
            try container.encode(schemaVersion, forKey: .schemaVersion)
            try container.encode(model, forKey: .model)
            try container.encode(totalInstances, forKey: .totalInstances)
            try container.encode(submittedIDs.count, forKey: .submittedInstances)
            try container.encode(completedIDs.count, forKey: .completedInstances)
            try container.encode(resolvedIDs.count, forKey: .resolvedInstances)
            try container.encode(unresolvedIDs.count, forKey: .unresolvedInstances)
            try container.encode(emptyPatchIDs.count, forKey: .emptyPatchInstances)
            try container.encode(errorIDs.count, forKey: .errorInstances)
            try container.encode(submittedIDs, forKey: .submittedIDs)
            try container.encode(completedIDs, forKey: .completedIDs)
            try container.encode(incompleteIDs, forKey: .incompleteIDs)
            try container.encode(emptyPatchIDs, forKey: .emptyPatchIDs)
            try container.encode(resolvedIDs, forKey: .resolvedIDs)
            try container.encode(unresolvedIDs, forKey: .unresolvedIDs)
            try container.encode(errorIDs, forKey: .errorIDs)
            try container.encode(resolveRate, forKey: .resolveRate)
            try container.encode(attemptsPerInstance, forKey: .attemptsPerInstance)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(passAtK, forKey: .passAtK)
            try container.encode(failureCategories, forKey: .failureCategories)
            try container.encode(tokens, forKey: .tokens)
            try container.encode(cost, forKey: .cost)
            try container.encode(attemptsWithUnknownCost, forKey: .attemptsWithUnknownCost)
            try container.encode(perInstance, forKey: .perInstance)
            try container.encode(time, forKey: .time)
            try container.encode(budget, forKey: .budget)
        }
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

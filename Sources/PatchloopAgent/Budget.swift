import Foundation
import PatchloopCore
import PatchloopModels

/// The limits of one attempt. The first one exhausted ends the run with its own status.
public struct Budget: Sendable, Hashable, Codable {
    /// Model calls.
    public var maxSteps: Int?
    /// Seconds of the attempt's own work: wall-clock time from its start, less the time
    /// its requests waited for a slot of the model's endpoint (other attempts' turns).
    /// Enforced during model calls and tool runs too, which are cancelled when it passes.
    public var maxSeconds: Double?
    /// Input plus output tokens over all calls.
    public var maxTokens: Int?
    /// US dollars, from the model's price table.
    public var maxCost: Double?

    public init(maxSteps: Int? = 50, maxSeconds: Double? = 1800, maxTokens: Int? = nil, maxCost: Double? = nil) {
        self.maxSteps = maxSteps
        self.maxSeconds = maxSeconds
        self.maxTokens = maxTokens
        self.maxCost = maxCost
    }

    /// What has been spent so far in an attempt.
    public struct Spent: Sendable, Hashable {
        public var steps = 0
        public var usage = TokenUsage()
        /// Nil when the model has no known price.
        public var cost: Double? = 0
        public var started = Date()
        /// Seconds the model's requests waited for a slot of their endpoint.
        public var waited: Double = 0

        public init() {}

        /// The attempt's own seconds, which the time budget counts: the wait for slots is left out.
        public var seconds: Double { max(0, wallSeconds - waited) }
        /// Wall-clock seconds since the attempt started, waits included.
        public var wallSeconds: Double { Date().timeIntervalSince(started) }
    }

    /// Seconds left of the time budget (nil: no time budget).
    public func secondsLeft(after spent: Spent) -> Double? {
        maxSeconds.map { max(0, $0 - spent.seconds) }
    }

    /// The kind of budget that is used up, if any.
    public func exhausted(by spent: Spent) -> BudgetKind? {
        if let maxSteps, spent.steps >= maxSteps { return .steps }
        if let maxSeconds, spent.seconds >= maxSeconds { return .time }
        if let maxTokens, spent.usage.totalTokens >= maxTokens { return .tokens }
        if let maxCost, let cost = spent.cost, cost >= maxCost { return .cost }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case maxSteps = "max_steps", maxSeconds = "max_seconds", maxTokens = "max_tokens", maxCost = "max_cost"
    }

    /// Every limit is written, `null` when there is none, so a file says what it does not limit.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(maxSteps, forKey: .maxSteps)
        try container.encode(maxSeconds, forKey: .maxSeconds)
        try container.encode(maxTokens, forKey: .maxTokens)
        try container.encode(maxCost, forKey: .maxCost)
    }
}

/// Which budget ran out.
public enum BudgetKind: String, Sendable, Hashable, Codable, CaseIterable {
    case steps, time, tokens, cost
}

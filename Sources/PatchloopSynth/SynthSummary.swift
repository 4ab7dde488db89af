import Foundation
import PatchloopCore
import PatchloopModels

/// What a synthesis run did, written as `synth.json` beside the tasks.
public struct SynthSummary: Sendable {
    /// What happened to the candidates of one operator.
    public struct Counts: Sendable {
        public var tried = 0
        public var notCompiling = 0
        public var breaksNothing = 0
        public var slow = 0
        public var duplicate = 0
        public var capped = 0
        public var kept = 0

        public init() {}

        var json: JSONValue {
            [
                "tried": .number(Double(tried)), "not_compiling": .number(Double(notCompiling)), "breaks_nothing": .number(Double(breaksNothing)),
                "slow": .number(Double(slow)), "duplicate": .number(Double(duplicate)), "capped": .number(Double(capped)),
                "kept": .number(Double(kept)),
            ]
        }
    }

    public var repository: String
    public var head: String
    public var testCommand: String
    public var seed: UInt64
    public var baselinePassed = 0
    /// Tests whose result differed between the two baseline runs: never in a task's lists.
    public var flakyTests: [String] = []
    public var filesSkipped: [String: String] = [:]
    public var perOperator: [String: Counts] = [:]
    /// Tasks written by this run.
    public var written: [String] = []
    /// Kept candidates whose task an earlier run had written already.
    public var alreadyWritten = 0
    /// Candidates dropped after only the test files that import their module ran (all of those passed).
    public var droppedByCoveringTests = 0
    /// Candidates dropped without a run: the call map shows no stable test calls their function.
    public var droppedUncalled = 0
    /// Both baseline runs.
    public var baselineSeconds = 0.0
    public var validationSeconds = 0.0
    public var duration = 0.0
    /// With `--model`: its calls, tokens, cost, rewrites and statements.
    public var model: SynthModelUsage?

    public init(repository: String, head: String, testCommand: String, seed: UInt64) {
        self.repository = repository
        self.head = head
        self.testCommand = testCommand
        self.seed = seed
    }

    public var total: Counts {
        perOperator.values.reduce(into: Counts()) { sum, counts in
            sum.tried += counts.tried
            sum.notCompiling += counts.notCompiling
            sum.breaksNothing += counts.breaksNothing
            sum.slow += counts.slow
            sum.duplicate += counts.duplicate
            sum.capped += counts.capped
            sum.kept += counts.kept
        }
    }

    public var kept: Int { total.kept }

    mutating func count(_ operatorName: String, _ field: WritableKeyPath<Counts, Int>) {
        perOperator[operatorName, default: Counts()][keyPath: field] += 1
    }

    public var json: JSONValue {
        let total = total
        return [
            "repository": .string(repository), "head": .string(head), "test_cmd": .string(testCommand), "seed": .number(Double(seed)),
            "baseline_passed": .number(Double(baselinePassed)), "flaky_tests": .array(flakyTests.map { .string($0) }),
            "files_skipped": .object(filesSkipped.mapValues { .string($0) }),
            "candidates": total.json,
            "per_operator": .object(perOperator.mapValues(\.json)),
            "written": .array(written.map { .string($0) }), "already_written": .number(Double(alreadyWritten)),
            "dropped_by_covering_tests": .number(Double(droppedByCoveringTests)),
            "dropped_uncalled": .number(Double(droppedUncalled)), "baseline_seconds": .number(baselineSeconds),
            "seconds_per_kept_task": written.isEmpty ? .null : .number(duration / Double(written.count)),
            "validation_seconds": .number(validationSeconds), "duration": .number(duration),
            "model": model?.json ?? .null,
        ]
    }
}

/// What the model did in a synthesis run (`model` in `synth.json`): its calls, tokens and
/// cost, and what became of its rewrites and statements.
public struct SynthModelUsage: Sendable, Equatable {
    /// The model's identifier (`provider:name`).
    public var model: String
    public var calls = 0
    /// Calls that failed (HTTP errors, timeouts, unreadable answers); the run went on without them.
    public var errors = 0
    public var usage = TokenUsage()
    /// The model's price; nil when it is not known.
    public var pricing: ModelPricing?
    /// Functions sent for a rewrite (replayed ones included).
    public var rewritesRequested = 0
    /// Rewrites read back from an earlier run's replies (`OUT/.model/rewrites/`) instead of asked for again.
    public var rewritesReplayed = 0
    /// Replies without exactly one fenced code block.
    public var rewritesWithoutCode = 0
    /// Rewrites that, once comments and layout are set aside, were the original body.
    public var rewritesIdentical = 0
    /// Rewrites that changed the signature or added code beside the function.
    public var rewritesOutsideFunction = 0
    public var statementsByModel = 0
    /// Model statements that held a changed line of the gold patch: the procedural one was used.
    public var statementsLeaking = 0
    /// Statements the model could not write (an error or an empty answer): the procedural one was used.
    public var statementsFailed = 0

    public init(model: String, pricing: ModelPricing? = nil) {
        self.model = model
        self.pricing = pricing
    }

    /// US dollars; nil when the model's price is not known.
    public var cost: Double? { pricing.map { $0.cost(of: usage) } }

    /// Counts one answered call.
    mutating func record(_ response: ChatResponse) {
        calls += 1
        usage = usage + response.usage
    }

    public var json: JSONValue {
        [
            "model": .string(model), "calls": .number(Double(calls)), "errors": .number(Double(errors)),
            "input_tokens": .number(Double(usage.inputTokens)), "output_tokens": .number(Double(usage.outputTokens)),
            "cost": cost.map(JSONValue.number) ?? .null,
            "rewrites": [
                "requested": .number(Double(rewritesRequested)), "replayed": .number(Double(rewritesReplayed)),
                "without_code": .number(Double(rewritesWithoutCode)),
                "identical": .number(Double(rewritesIdentical)), "outside_function": .number(Double(rewritesOutsideFunction)),
            ],
            "statements": [
                "by_model": .number(Double(statementsByModel)), "leaking": .number(Double(statementsLeaking)),
                "failed": .number(Double(statementsFailed)),
            ],
        ]
    }
}

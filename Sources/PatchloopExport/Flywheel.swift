import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopWorkspace

/// Rejection sampling in one step: K attempts per task, scored; what the hidden tests
/// verify becomes SFT data, resolved-versus-unresolved attempts become preference pairs,
/// and every failure is categorised — all in one directory with a dataset card.
///
/// ```
/// OUT/run/                 the evaluation run (trajectories, results, predictions, summary)
/// OUT/sft.openai.jsonl     verified conversations, OpenAI format (+ sft.openai.meta.jsonl)
/// OUT/sft.trl.jsonl        the same, TRL conversational format
/// OUT/dpo.openai.jsonl     preference pairs, OpenAI format (+ dpo.openai.meta.jsonl)
/// OUT/dpo.trl.jsonl        the same, TRL prompt/chosen/rejected
/// OUT/stats.json, stats.txt  the failure taxonomy
/// OUT/README.md            the dataset card
/// ```
public struct Flywheel: Sendable {
    public var tasks: [TaskInstance]
    public var taskSources: [String]
    public var model: ModelConfiguration
    public var agent: AgentSettings
    public var attempts: Int
    public var workers: Int
    public var outputDirectory: String
    public var sandboxRoot: String
    public var isolation: CommandIsolation
    public var excludedTasks: Set<String>

    public init(
        tasks: [TaskInstance], taskSources: [String], model: ModelConfiguration, agent: AgentSettings, attempts: Int, workers: Int,
        outputDirectory: String, sandboxRoot: String = "Sandboxes", isolation: CommandIsolation = .bubblewrap, excludedTasks: Set<String> = []
    ) {
        self.tasks = tasks
        self.taskSources = taskSources
        self.model = model
        self.agent = agent
        self.attempts = attempts
        self.workers = workers
        self.outputDirectory = outputDirectory
        self.sandboxRoot = sandboxRoot
        self.isolation = isolation
        self.excludedTasks = excludedTasks
    }

    /// What the flywheel produced.
    public struct Outcome: Sendable {
        public var runDirectory: String
        public var statistics: FailureStatistics
        public var sftRows: Int
        public var preferencePairs: Int
        public var cardPath: String
    }

    /// Runs (or, when `OUT/run` exists, resumes) the attempts, then writes the data set.
    public func run(onEvent: @escaping @Sendable (EvaluationEvent) -> Void = { _ in }) async throws -> Outcome {
        let runDirectory = outputDirectory + "/run"
        let resume = RunDirectory(runDirectory).exists
        let settings: EvaluationSettings
        if resume {
            settings = try EvaluationSettings.load(runDirectory: runDirectory)
        } else {
            settings = EvaluationSettings(
                runID: "flywheel-" + RunConfiguration.newRunID(), outputDirectory: runDirectory, taskSources: taskSources,
                instanceIDs: tasks.map(\.instanceID), attempts: attempts, mode: .agent(model, agent), sandboxRoot: sandboxRoot, isolation: isolation)
        }
        let evaluation = try await EvaluationRunner(settings: settings, tasks: tasks, workers: workers, resume: resume, onEvent: onEvent).run()

        func export(_ options: ExportOptions, _ name: String, sidecar: Bool) throws -> Int {
            let result = try Exporter(options: options).export(paths: [runDirectory])
            try ExportWriter.write(result, format: options.format, to: outputDirectory + "/" + name, sidecar: sidecar)
            return result.rows.count
        }
        let sft = try export(
            ExportOptions(format: .openai, resolvedOnly: true, excludedTasks: excludedTasks, trainOn: .successful), "sft.openai.jsonl", sidecar: true)
        _ = try export(ExportOptions(format: .trl, resolvedOnly: true, excludedTasks: excludedTasks), "sft.trl.jsonl", sidecar: false)
        let pairs = try export(ExportOptions(format: .dpo, excludedTasks: excludedTasks, dpoFormat: .openai), "dpo.openai.jsonl", sidecar: true)
        _ = try export(ExportOptions(format: .dpo, excludedTasks: excludedTasks, dpoFormat: .trl), "dpo.trl.jsonl", sidecar: false)

        let statistics = FailureStatistics(records: evaluation.records)
        try (statistics.json.prettyEncoded() + "\n").write(toFile: outputDirectory + "/stats.json", atomically: true, encoding: .utf8)
        try statistics.table.write(toFile: outputDirectory + "/stats.txt", atomically: true, encoding: .utf8)
        let cardPath = outputDirectory + "/README.md"
        try card(settings: settings, summary: evaluation.summary, statistics: statistics, sft: sft, pairs: pairs)
            .write(toFile: cardPath, atomically: true, encoding: .utf8)
        return Outcome(runDirectory: runDirectory, statistics: statistics, sftRows: sft, preferencePairs: pairs, cardPath: cardPath)
    }

    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", 100 * $0) } ?? "?"
    }

    /// The dataset card: where the data came from, what is in it, and how it was filtered.
    func card(settings: EvaluationSettings, summary: RunSummary.Document, statistics: FailureStatistics, sft: Int, pairs: Int) -> String {
        let resolved = statistics.rows.first { $0.category == FailureCategory.Kind.resolved.description }?.count ?? 0
        let modelName: String
        if case .agent(let configuration, _) = settings.mode { modelName = configuration.spec.description } else { modelName = "?" }
        let temperature = agent.temperature.map { String($0) } ?? "the provider's default"
        return """
            # Patchloop flywheel data set

            Rejection-sampled coding-agent trajectories, verified by hidden tests.

            | | |
            |---|---|
            | source run | `\(settings.runID)` (`run/`) |
            | model | `\(modelName)`, temperature \(temperature) |
            | tasks | \(statistics.tasks) (\(taskSources.joined(separator: ", "))) |
            | attempts | \(statistics.attempts) (\(settings.attempts) per task) |
            | resolved attempts | \(resolved) (\(String(format: "%.1f", 100 * Double(resolved) / Double(max(1, statistics.attempts))))%) |
            | pass@1 / pass@\(settings.attempts) | \(Flywheel.percent(summary.passAtK["1"])) / \(Flywheel.percent(summary.passAtK[String(settings.attempts)])) |
            | SFT conversations | \(sft) |
            | preference pairs | \(pairs) |

            ## Files

            - `sft.openai.jsonl`: OpenAI chat fine-tuning rows (`messages`, `tools`, `parallel_tool_calls`);
              assistant turns whose tool calls failed carry `weight: 0`. Provenance, line by line, in
              `sft.openai.meta.jsonl`.
            - `sft.trl.jsonl`: the same conversations for TRL's SFTTrainer (`messages` with tool-call
              arguments as objects, `tools`, `metadata`).
            - `dpo.openai.jsonl` (+ `.meta.jsonl`) and `dpo.trl.jsonl`: preference pairs — for each task, every
              resolved attempt against every unresolved one; the shared prefix is the prompt, the first
              differing assistant turn is chosen / rejected.
            - `stats.json`, `stats.txt`: every attempt's failure category with counts, rates, tokens and cost.
            - `run/`: the evaluation run itself (trajectories, per-attempt results, predictions, summary).

            ## Filters

            - SFT rows come only from attempts the scorer marked resolved (every FAIL_TO_PASS and
              PASS_TO_PASS test passing in a fresh worktree), never from the model's own claim.
            - Conversations whose tool calls do not all have exactly one result are dropped; identical
              conversations are kept once.
            - API keys and other secrets were redacted from trajectories as they were written, and again on export.
            \(excludedTasks.isEmpty ? "" : "- \(excludedTasks.count) task ids were excluded (kept out of training data).\n")
            ## Failure taxonomy

            ```
            \(statistics.table)```

            ## Loading

            ```python
            from datasets import load_dataset
            sft = load_dataset("json", data_files="sft.trl.jsonl", split="train")
            dpo = load_dataset("json", data_files="dpo.trl.jsonl", split="train")
            ```

            """
    }
}

import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopWorkspace
import Synchronization

/// Options `eval` and `score` share: how many at once, which slice, where the files go.
struct RunOptions: ParsableArguments {
    @Option(help: "Attempts run at once.")
    var workers: Int = 4

    @Option(help: "Run only slice INDEX/COUNT of the tasks (0-based, e.g. 0/4); join the slices with `patchloop merge`.")
    var shard: String?

    @Option(help: "Finish the run in this directory after a crash or an interruption (its config.json says what to run).")
    var resume: String?

    @Flag(help: "With --resume: also redo attempts that ended in infra_error or model_error.")
    var retryErrors = false

    @Option(help: "The run directory (default runs/<run-id>).")
    var output: String?

    @Option(help: "The run's id (default: the time and a random suffix); names its folder under Sandboxes/.")
    var runID: String?

    func validate() throws {
        try OptionRange.workers(workers)
        if retryErrors && resume == nil {
            throw CLIError("--retry-errors goes with --resume RUN_DIR")
        }
        if resume != nil && (shard != nil || output != nil || runID != nil) {
            throw CLIError("--resume takes the run's own settings: drop --shard, --output and --run-id")
        }
        if let runID, let problem = SafeName.problem(with: runID) { throw CLIError("--run-id '\(runID)' \(problem)") }
    }
}

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run a model over a task set: every task × attempt, concurrently, scored as SWE-bench scores; resumable and shardable.",
        discussion: """
            Writes into the run directory as attempts finish: results/<instance_id>[.<attempt>].json (SWE-bench's \
            report.json shape plus exit status, steps, tokens, cost, duration, failure category), predictions.jsonl \
            (SWE-bench's input format), trajectories/ and patches/; at the end summary.json (SWE-bench's run-summary \
            keys plus resolve rate, pass@k, tokens, cost, time). After a crash, `--resume RUN_DIR` finishes the run.
            Exit code: 0 the run finished, 1 the global budget stopped it early, 2 usage error, 3 infrastructure error, \
            130 / 143 interrupted by SIGINT / SIGTERM (the attempts under way are dropped; --resume makes them).
            """)

    @Argument(help: "Task folders, or folders of them (default: Tasks).")
    var tasks: [String] = []

    @Option(help: "Attempts per task (pass@k is reported over them).")
    var attempts: Int = 1

    @Option(help: "Stop starting attempts once the run has spent this many US dollars.")
    var maxTotalCost: Double?

    @Option(help: "Stop starting attempts once the run has spent this many tokens.")
    var maxTotalTokens: Int?

    @OptionGroup var run: RunOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup(title: "Context") var context: ContextOptions
    @OptionGroup var budget: BudgetOptions
    @OptionGroup var sandbox: SandboxOptions

    func validate() throws {
        guard attempts > 0 else { throw CLIError("--attempts must be at least 1") }
        try OptionRange.count(attempts, "--attempts", to: OptionRange.maxAttempts)
        if let maxTotalCost { try OptionRange.number(maxTotalCost, "--max-total-cost", to: OptionRange.maxDollars) }
        if let maxTotalTokens { try OptionRange.count(maxTotalTokens, "--max-total-tokens", to: OptionRange.maxTokens) }
    }

    func run() async throws {
        try await reportingErrors(interruptible: true) {
            // A resumed run does not start bubblewrap's check, which sets it otherwise.
            EnvironmentSupport.containerRuntime = try sandbox.runtimeKind()
            var settings: EvaluationSettings
            let taskSet: [TaskInstance]
            if let resume = run.resume {
                settings = try EvaluationSettings.load(runDirectory: resume)
                guard case .agent(let saved, _) = settings.mode else {
                    throw CLIError("\(resume) is a `score` run: resume it with `patchloop score --resume \(resume)`")
                }
                if let given = model.model, given != saved.spec.description {
                    throw CLIError("\(resume) was run with --model \(saved.spec.description), not \(given): resume with the same model")
                }
                taskSet = try RunCommandSupport.loadTasks(settings.taskSources, expecting: settings.instanceIDs)
            } else {
                let sources = tasks.isEmpty ? ["Tasks"] : tasks
                taskSet = try RunCommandSupport.loadTasks(sources)
                let runID = run.runID ?? RunConfiguration.newRunID()
                let modelConfiguration = try model.configuration()
                let agentSettings = try budget.settings(context: context, model: modelConfiguration.spec.description)
                settings = EvaluationSettings(
                    runID: runID, outputDirectory: run.output ?? "runs/\(runID)", taskSources: sources, instanceIDs: taskSet.map(\.instanceID),
                    attempts: attempts, shard: try run.shard.map(Shard.init), mode: .agent(modelConfiguration, agentSettings),
                    sandboxRoot: sandbox.sandboxRoot, isolation: try await sandbox.isolation())
            }
            if maxTotalCost != nil || maxTotalTokens != nil || run.resume == nil {
                settings.totalBudget = TotalBudget(maxCost: maxTotalCost ?? settings.totalBudget.maxCost, maxTokens: maxTotalTokens ?? settings.totalBudget.maxTokens)
            }
            return try await RunCommandSupport.execute(
                settings, tasks: taskSet, workers: run.workers, resume: run.resume != nil, retryErrors: run.retryErrors)
        }
    }
}

struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Grade any agent's predictions against a task set, as SWE-bench's harness grades them, with eval's outputs.",
        discussion: """
            PREDICTIONS is a .jsonl file, a .json list, or a .json dict keyed by instance id (instance_id, \
            model_name_or_path, model_patch), or `gold` for the tasks' own patches. Empty and missing patches are \
            counted, not graded; a patch is applied with git apply, then git apply --reject, then patch --fuzz=5.
            """)

    @Argument(help: "The predictions file, or `gold`.")
    var predictions: String?

    @Option(name: .customLong("tasks"), help: "Task folders, or folders of them (repeatable; default: Tasks).")
    var taskSources: [String] = []

    @OptionGroup var run: RunOptions
    @OptionGroup var sandbox: SandboxOptions

    func run() async throws {
        try await reportingErrors(interruptible: true) {
            // A resumed run does not start bubblewrap's check, which sets it otherwise.
            EnvironmentSupport.containerRuntime = try sandbox.runtimeKind()
            let settings: EvaluationSettings
            let taskSet: [TaskInstance]
            if let resume = run.resume {
                settings = try EvaluationSettings.load(runDirectory: resume)
                guard case .predictions = settings.mode else {
                    throw CLIError("\(resume) is an `eval` run: resume it with `patchloop eval --resume \(resume)`")
                }
                taskSet = try RunCommandSupport.loadTasks(settings.taskSources, expecting: settings.instanceIDs)
            } else {
                guard let predictions else { throw CLIError("name the predictions file to grade (or `gold`)") }
                let source = predictions == "gold" ? "gold" : URL(fileURLWithPath: predictions).standardizedFileURL.path
                let sources = taskSources.isEmpty ? ["Tasks"] : taskSources
                taskSet = try RunCommandSupport.loadTasks(sources)
                let runID = run.runID ?? "score-" + RunConfiguration.newRunID()
                settings = EvaluationSettings(
                    runID: runID, outputDirectory: run.output ?? "runs/\(runID)", taskSources: sources, instanceIDs: taskSet.map(\.instanceID),
                    shard: try run.shard.map(Shard.init), mode: .predictions(path: source), sandboxRoot: sandbox.sandboxRoot,
                    isolation: try await sandbox.isolation())
            }
            return try await RunCommandSupport.execute(
                settings, tasks: taskSet, workers: run.workers, resume: run.resume != nil, retryErrors: run.retryErrors)
        }
    }
}

struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the run directories of a sharded run into one, whose summary equals an unsharded run's.")

    @Argument(help: "The shards' run directories (every shard of the split).")
    var runDirectories: [String]

    @Option(help: "The merged run directory.")
    var output: String

    func run() async throws {
        try await reportingErrors {
            let summary = try RunMerger.merge(runDirectories, into: output)
            print(RunCommandSupport.describe(summary, directory: output))
            return 0
        }
    }
}

/// The wiring `eval` and `score` share: loading tasks, the progress display, the closing lines.
enum RunCommandSupport {
    static func loadTasks(_ sources: [String], expecting expected: [String]? = nil) throws -> [TaskInstance] {
        var tasks: [TaskInstance] = []
        var seen: [String: String] = [:]
        for source in sources {
            for task in try TaskStore.load(source) {
                if let other = seen[task.instanceID] {
                    throw CLIError("\(task.instanceID) is in both \(other) and \(source): a task set holds each instance once")
                }
                seen[task.instanceID] = source
                tasks.append(task)
            }
        }
        if let expected, Set(expected) != Set(seen.keys) {
            let gone = Set(expected).subtracting(seen.keys).sorted()
            let added = Set(seen.keys).subtracting(expected).sorted()
            throw CLIError("the task set changed since the run started (missing: \(gone.prefix(5)), new: \(added.prefix(5))); resume needs the same tasks")
        }
        return tasks
    }

    static func execute(_ settings: EvaluationSettings, tasks: [TaskInstance], workers: Int, resume: Bool, retryErrors: Bool = false) async throws -> Int32 {
        let tasks = await EnvironmentSupport.prepare(tasks, isolation: settings.isolation)
        let display = ProgressDisplay(interactive: isatty(STDERR_FILENO) == 1, attempts: settings.attempts)
        let slice = settings.shard.map { " · shard \($0)" } ?? ""
        printError("patchloop \(settings.kind) · \(settings.selectedInstanceIDs.count) tasks × \(settings.attempts) attempt\(settings.attempts == 1 ? "" : "s")\(slice) · \(workers) worker\(workers == 1 ? "" : "s") · run \(settings.runID) → \(settings.outputDirectory)")
        let runner = EvaluationRunner(settings: settings, tasks: tasks, workers: workers, resume: resume, retryErrors: retryErrors) { display.show($0) }
        let outcome = try await runner.run()
        display.finish()
        print(describe(outcome.summary, directory: settings.outputDirectory))
        if case .agent(let model, let agent) = settings.mode {
            let activity = RunActivity(trajectoriesIn: settings.outputDirectory + "/trajectories")
            print(activity.line)
            print(activity.workLine)
            let endings = outcome.summary.failureCategories
            if !endings.isEmpty {
                print("how the attempts ended: " + endings.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: " · "))
            }
            print(budgetLine(agent.budget))
            if model.spec.provider == "local" {
                print(
                    "the local model is a 135M-parameter model that runs the whole loop offline but rarely resolves a task; for real results: "
                        + "OPENAI_API_KEY=… patchloop eval --model openai:gpt-4.1-mini (or ANTHROPIC_API_KEY=… --model anthropic:claude-sonnet-4-5), "
                        + "or --model openai-compatible:NAME --base-url http://HOST:PORT/v1 for your own vLLM, llama.cpp, SGLang or Ollama server")
            }
        }
        await ReportCommand.writeAfterRun(settings.outputDirectory)
        if outcome.interrupted {
            let sandboxes = SandboxManager(root: settings.sandboxRoot)
            let group = settings.runID
            await Task.detached { await sandboxes.sweepRegistrations(group: group) }.value
            printError(
                "interrupted: \(outcome.records.count) of \(outcome.total) attempts done; resume with: patchloop \(settings.kind) --resume \(settings.outputDirectory)")
            return Interruption.exitCode ?? 130
        }
        if let reason = outcome.budgetExhausted {
            printError("stopped early: the run's budget is spent (\(reason)); raise it and finish with --resume \(settings.outputDirectory)")
            return 1
        }
        return 0
    }

    /// `budgets per attempt: 10 steps · 90 s` (what bounded each attempt).
    static func budgetLine(_ budget: Budget) -> String {
        var parts: [String] = []
        if let steps = budget.maxSteps { parts.append("\(steps) steps") }
        if let seconds = budget.maxSeconds { parts.append(String(format: "%.0f s of its own work (waiting for a model slot is not counted)", seconds)) }
        if let tokens = budget.maxTokens { parts.append("\(tokens) tokens") }
        if let cost = budget.maxCost { parts.append(String(format: "$%.2f", cost)) }
        return "budgets per attempt: " + (parts.isEmpty ? "none" : parts.joined(separator: " · "))
    }

    static func describe(_ summary: RunSummary.Document, directory: String) -> String {
        var line = String(format: "resolved %d of %d (%.1f%%)", summary.resolvedIDs.count, summary.totalInstances, summary.resolveRate * 100)
        let pass = summary.passAtK
        if pass.count > 1 {
            line += " · " + pass.keys.sorted { Int($0) ?? 0 < Int($1) ?? 0 }.map { String(format: "pass@%@ %.3f", $0, pass[$0] ?? 0) }.joined(separator: " ")
        }
        line += " · empty \(summary.emptyPatchIDs.count) · errors \(summary.errorIDs.count)"
        line += " · incomplete \(summary.incompleteIDs.count)"
        line += " · \(summary.tokens.totalTokens) tokens · " + String(format: "$%.4f", summary.cost)
        return line + "\nsummary: \(directory)/summary.json"
    }
}

/// The live progress of a run: on a terminal, a status line kept at the bottom; otherwise
/// one line per finished attempt.
final class ProgressDisplay: Sendable {
    let interactive: Bool
    let attempts: Int
    private let hasStatusLine = Mutex(false)

    init(interactive: Bool, attempts: Int) {
        self.interactive = interactive
        self.attempts = attempts
    }

    func show(_ event: EvaluationEvent) {
        switch event {
        case .resumed(let finished, let discarded):
            var line = "resuming: \(finished) attempt\(finished == 1 ? "" : "s") already finished"
            if !discarded.isEmpty { line += "; redoing \(discarded.count) incomplete result\(discarded.count == 1 ? "" : "s") (\(discarded.prefix(3).joined(separator: ", ")))" }
            emit(line, status: nil)
        case .started:
            break
        case .finished(let record, let progress):
            let mark = record.resolved ? "✔" : "✘"
            let name = AttemptRecord.name(instanceID: record.instanceID, attempt: record.attempt, attempts: attempts)
            var line = "\(mark) \(name) · \(record.failure.category) · \(ProgressLines.abbreviate(record.failure.evidence, 90))"
            line += String(format: " · %.1f s", record.duration)
            if !interactive { line = progress.statusLine.replacingOccurrences(of: "] ", with: "] " + line + " · ", options: [], range: progress.statusLine.range(of: "] ")) }
            emit(line, status: progress.statusLine)
        case .budgetExhausted(let message):
            emit("budget spent: \(message)", status: nil)
        case .modelReady(let line):
            emit(line, status: nil)
        }
    }

    func finish() {
        if interactive, hasStatusLine.withLock({ $0 }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func emit(_ line: String, status: String?) {
        guard interactive else {
            printError(line)
            return
        }
        // Clear the status line, print the event above it, draw the status line again.
        var text = "\r\u{1B}[K" + Redactor.shared.redact(line) + "\n"
        if let status { text += status }
        hasStatusLine.withLock { $0 = status != nil }
        FileHandle.standardError.write(Data(text.utf8))
    }
}

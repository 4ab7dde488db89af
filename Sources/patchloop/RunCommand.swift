import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopWorkspace

/// Budget options shared by the commands that run the agent.
struct BudgetOptions: ParsableArguments {
    @Option(help: "Most model calls in one attempt.")
    var maxSteps: Int = 50

    @Option(help: "Most wall-clock seconds for one attempt.")
    var maxSeconds: Double = 1800

    @Option(help: "Most tokens (input + output) for one attempt.")
    var maxTokens: Int?

    @Option(help: "Most US dollars for one attempt (needs the model's price).")
    var maxCost: Double?

    @Flag(help: "Keep going after run_tests passes; end only on submit or a budget.")
    var noStopOnPass = false

    /// The agent's settings: these budgets, and the context options as they apply to `model`.
    func settings(context: ContextOptions, model: String) throws -> AgentSettings {
        var settings = try settings()
        settings.context = try context.settings(forModel: model)
        return settings
    }

    func validate() throws {
        guard maxSteps > 0 else { throw CLIError("--max-steps must be at least 1") }
        try OptionRange.count(maxSteps, "--max-steps", to: 1_000_000)
        try OptionRange.seconds(maxSeconds, "--max-seconds")
        if let maxTokens { try OptionRange.count(maxTokens, "--max-tokens", to: OptionRange.maxTokens) }
        if let maxCost { try OptionRange.number(maxCost, "--max-cost", to: OptionRange.maxDollars) }
    }

    func settings() throws -> AgentSettings {
        try validate()
        return AgentSettings(
            budget: Budget(maxSteps: maxSteps, maxSeconds: maxSeconds, maxTokens: maxTokens, maxCost: maxCost),
            stopWhenTestsPass: !noStopOnPass)
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one attempt at one task, score it with the hidden tests, print the outcome and the patch.",
        discussion: """
            Writes runs/<run-id>/ (or --output): trajectories/<id>.jsonl, patches/<id>.patch, result.json, \
            predictions.jsonl. Exit code: 0 resolved, 1 not resolved, 2 usage error, 3 infrastructure or model error.
            """)

    @Argument(help: "The task folder (Tasks/<instance_id>).")
    var task: String

    @OptionGroup var model: ModelOptions
    @OptionGroup(title: "Context") var context: ContextOptions
    @OptionGroup var budget: BudgetOptions
    @OptionGroup var sandbox: SandboxOptions
    @OptionGroup var repositoryContext: RepositoryContextOptions

    @Option(help: "The run directory (default runs/<run-id>).")
    var output: String?

    @Flag(help: "Leave the attempt's worktree in Sandboxes/.")
    var keepSandbox = false

    @Flag(help: "Print the result as one JSON document on stdout (human output goes to stderr).")
    var json = false

    func run() async throws {
        try await reportingErrors(interruptible: true) {
            let tasks = try TaskStore.load(task)
            // Before preparing: it also sets --runtime, which preparing an image environment reads.
            let isolation = try await sandbox.isolation()
            guard tasks.count == 1, let task = await EnvironmentSupport.prepare(tasks, isolation: isolation).first else {
                throw CLIError("\(self.task) holds \(tasks.count) tasks; `run` takes one task folder (use `eval` for many)")
            }
            let modelConfiguration = try await model.configuration().preparingServer()
            if ["local", "openai-compatible"].contains(modelConfiguration.spec.provider) { printError(await modelConfiguration.readinessLine()) }
            let chatModel = try ModelRegistry.standard.model(modelConfiguration, for: ModelContext(task: task))
            let agentSettings = try budget.settings(context: context, model: chatModel.identifier)
            var configuration = RunConfiguration(
                outputDirectory: output, sandboxRoot: sandbox.sandboxRoot, isolation: isolation, agent: agentSettings,
                keepSandbox: keepSandbox)
            configuration.repositoryContext = try repositoryContext.settings()
            if budget.maxCost != nil && chatModel.pricing == nil {
                printError("warning: \(chatModel.identifier) has no known price, so --max-cost cannot be enforced")
            }
            printError("patchloop run \(task.instanceID) · model \(chatModel.identifier) · tests in \(task.environmentActivation?.container.map { "\($0.runtime.kind.rawValue) image \($0.image.name)" } ?? (isolation == .bubblewrap ? "bubblewrap" : "no sandbox")) · run \(configuration.runID)")
            let runner = AttemptRunner(configuration: configuration) { _, summary in
                for line in ProgressLines.step(summary) { printError(line) }
            }
            let result = try await runner.run(task, model: chatModel)
            try RunFiles.write(result, configuration: configuration)

            printError(ProgressLines.outcome(result))
            printError("trajectory: \(result.trajectoryPath ?? "")\npatch: \(result.patchPath ?? "")")
            if json {
                print(Redactor.shared.redact(try result.fileText()), terminator: "")
            } else {
                print(result.patch ?? "", terminator: "")
            }
            if result.resolved { return 0 }
            // The documented contract: a model or harness failure is 3, not "not resolved".
            return result.exitStatus == .modelError || result.exitStatus == .infrastructureError ? 3 : 1
        }
    }
}

/// One-line summaries for a terminal.
enum ProgressLines {
    static func step(_ summary: StepSummary) -> [String] {
        let waited = summary.slotWait >= 0.5 ? String(format: " (waited %.1f s for a model slot)", summary.slotWait) : ""
        if summary.calls.isEmpty { return ["  step \(summary.step): (no tool call)\(waited)"] }
        return summary.calls.map { call in
            let observation = summary.observations.first { $0["tool_call_id"]?.stringValue == call.id }
            let mark = observation?["is_error"]?.boolValue == true ? "✘" : "·"
            let firstLine = observation?["output"]?.stringValue?.split(separator: "\n").first.map(String.init) ?? ""
            return "  step \(summary.step) \(mark) \(call.name)(\(abbreviate(call.arguments, 70))) → \(abbreviate(firstLine, 80))\(waited)"
        }
    }

    static func outcome(_ result: AttemptRecord) -> String {
        let verdict = result.graded ? (result.resolved ? "RESOLVED" : "not resolved") : "not scored"
        var line = "\(result.instanceID): \(verdict) · \(result.exitStatus?.description ?? "graded prediction") · \(result.steps) steps · \(result.usage.totalTokens) tokens"
        line += result.cost.map { String(format: " · $%.4f", $0) } ?? " · cost unknown"
        line += String(format: " · %.1f s", result.duration)
        return line
    }

    static func abbreviate(_ text: String, _ limit: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "⏎")
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }
}

/// The run-level files beside the trajectories.
enum RunFiles {
    /// `config.json`, `result.json` (the attempt's record, the same document as an
    /// evaluation's `results/<id>.json`, also written there) and `predictions.jsonl`.
    static func write(_ record: AttemptRecord, configuration: RunConfiguration) throws {
        let directory = RunDirectory(configuration.outputDirectory)
        try RunFileWriter.writeAtomically(try RunFileCoding.encodePretty(configuration) + "\n", to: directory.configPath)
        try RunFileWriter.writeAtomically(try record.fileText(), to: directory.path + "/result.json")
        try directory.writeResult(record, attempts: 1)
        try directory.rewritePredictions([record])
    }
}

import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopExport
import PatchloopModels

struct FlywheelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flywheel",
        abstract: "Rejection sampling in one command: K attempts per task, scored; verified SFT data, preference pairs, failure stats and a dataset card.",
        discussion: """
            Writes OUT/run/ (the evaluation), OUT/sft.openai.jsonl, OUT/sft.trl.jsonl, OUT/dpo.openai.jsonl, OUT/dpo.trl.jsonl, \
            OUT/stats.json, OUT/stats.txt and OUT/README.md. Run it again on the same --output to resume.
            """)

    @Argument(help: "Task folders (default: Tasks).")
    var tasks: [String] = []

    @Option(help: "Attempts per task.")
    var attempts: Int = 4

    @Option(help: "Attempts run at once.")
    var workers: Int = 2

    @Option(help: "Sampling temperature (attempts must differ to be worth comparing).")
    var temperature: Double = 0.7

    @Option(help: "The output directory (default runs/flywheel-<time>).")
    var output: String?

    @Option(help: "A file of task ids to keep out of the exported data (one per line, or a JSON list).")
    var excludeTasks: String?

    @OptionGroup var model: ModelOptions
    @OptionGroup(title: "Context") var context: ContextOptions
    @OptionGroup var budget: BudgetOptions
    @OptionGroup var sandbox: SandboxOptions

    func validate() throws {
        try OptionRange.count(attempts, "--attempts", to: OptionRange.maxAttempts)
        try OptionRange.count(workers, "--workers", to: OptionRange.maxWorkers)
        try OptionRange.number(temperature, "--temperature", above: 0, inclusive: true, to: 2)
    }

    func run() async throws {
        try await reportingErrors {
            let sources = tasks.isEmpty ? ["Tasks"] : tasks
            let isolation = try await sandbox.isolation()
            let taskSet = await EnvironmentSupport.prepare(try RunCommandSupport.loadTasks(sources), isolation: isolation, workers: workers)
            let modelConfiguration = try model.configuration()
            var agentSettings = try budget.settings(context: context, model: modelConfiguration.spec.description)
            agentSettings.temperature = temperature
            let excluded = try excludeTasks.map(ExcludedTasks.load) ?? []
            let outputDirectory = output ?? "runs/flywheel-" + RunConfiguration.newRunID()
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            let flywheel = Flywheel(
                tasks: taskSet, taskSources: sources, model: modelConfiguration, agent: agentSettings, attempts: attempts, workers: workers,
                outputDirectory: outputDirectory, sandboxRoot: sandbox.sandboxRoot, isolation: isolation, excludedTasks: excluded)
            printError("patchloop flywheel · \(taskSet.count) tasks × \(attempts) attempts · \(modelConfiguration.spec) · → \(outputDirectory)")
            let display = ProgressDisplay(interactive: isatty(STDERR_FILENO) == 1, attempts: attempts)
            let outcome = try await flywheel.run { display.show($0) }
            display.finish()
            print(outcome.statistics.table, terminator: "")
            await ReportCommand.writeAfterRun(outputDirectory)
            printError("\(outcome.sftRows) verified SFT conversations, \(outcome.preferencePairs) preference pairs → \(outputDirectory) (card: \(outcome.cardPath))")
            return 0
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "The failure taxonomy of eval or score runs: counts, rates, tokens and cost per category.")

    @Argument(help: "Run directories (of `eval`, `score` or `flywheel`'s run/).")
    var runs: [String]

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let statistics = try FailureStatistics(runDirectories: runs)
            print(json ? statistics.json.prettyEncoded() : statistics.table, terminator: json ? "\n" : "")
            return 0
        }
    }
}

import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopSolve
import PatchloopSynth
import PatchloopTasks
import PatchloopWorkspace

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List, validate and import task sets.",
        subcommands: [ListTasks.self, ValidateTasks.self, ImportTasks.self, SynthTasks.self])
}

struct ListTasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tasks in a folder.")

    @Argument(help: "A task folder or a folder of them (e.g. Tasks).")
    var directory: String = "Tasks"

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let tasks = try TaskStore.load(directory)
            if json {
                print(JSONValue.array(tasks.map(\.json)).prettyEncoded())
                return 0
            }
            let width = max(11, tasks.map(\.instanceID.count).max() ?? 0)
            print("instance_id".padding(toLength: width, withPad: " ", startingAt: 0) + "  language  F2P  P2P  test_cmd")
            for task in tasks {
                let language = task.language.padding(toLength: 8, withPad: " ", startingAt: 0)
                let f2p = String(task.failToPass.count).leftPadded(3)
                let p2p = String(task.passToPass.count).leftPadded(3)
                print("\(task.instanceID.padding(toLength: width, withPad: " ", startingAt: 0))  \(language)  \(f2p)  \(p2p)  \(task.testCommand)")
            }
            print("\(tasks.count) task\(tasks.count == 1 ? "" : "s")")
            return 0
        }
    }
}

struct ValidateTasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Prove every task sound: the gold patch resolves it and the empty patch does not.",
        discussion: "Exit code 0 when every task is valid, 1 when any is not.")

    @Argument(help: "A task folder or a folder of them (e.g. Tasks).")
    var directory: String = "Tasks"

    @Option(help: "Tasks validated at once.")
    var workers: Int = 2

    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Print one JSON document on stdout (human output goes to stderr).")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Keep every graded run in this folder: <instance_id>/gold/ and <instance_id>/empty/, each with test_output.txt, apply_output.txt and grading.json (as score and eval keep them).",
            valueName: "dir"))
    var logs: String?

    func validate() throws {
        try OptionRange.workers(workers)
    }

    /// Writes a verdict's graded runs under `logs`; a folder that cannot be written is a warning, not a lost validation.
    static func keepLogs(of verdict: TaskValidator.Verdict, in logs: String) {
        for (name, report) in [("gold", verdict.gold), ("empty", verdict.empty)] {
            guard let report else { continue }
            let folder = logs + "/" + verdict.instanceID + "/" + name
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try report.writeLogs(into: folder)
            } catch {
                printError("warning: the \(name) run of \(verdict.instanceID) could not be kept in \(folder): \(error.localizedDescription)")
            }
        }
    }

    func run() async throws {
        try await reportingErrors(interruptible: true) {
            // First: it also sets --runtime, which preparing an image environment reads.
            let isolation = try await sandbox.isolation()
            let logs = self.logs.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            // The logs folder is the run's output: hidden from every test run, as a run directory is (so made first).
            if let logs {
                do {
                    try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
                } catch {
                    throw CLIError("--logs \(logs): \(error.localizedDescription)")
                }
            }
            let tasks = await EnvironmentSupport.prepare(try TaskStore.load(directory), isolation: isolation, workers: workers)
            let configuration = RunConfiguration(
                runID: "validate-" + RunConfiguration.newRunID(), outputDirectory: logs, sandboxRoot: sandbox.sandboxRoot, isolation: isolation)
            let validator = TaskValidator(runner: AttemptRunner(configuration: configuration))
            let started = Date()
            printError("validating \(tasks.count) task\(tasks.count == 1 ? "" : "s") with \(workers) worker\(workers == 1 ? "" : "s")…")
            let verdicts = await validator.validate(tasks, workers: workers) { verdict in
                if let logs { Self.keepLogs(of: verdict, in: logs) }
                let mark = verdict.isValid ? "✔" : "✘"
                printError(String(format: "%@ %@ (%.1f s)", mark, verdict.instanceID, verdict.duration))
                for problem in verdict.problems {
                    printError(problem.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                }
            }
            if Interruption.signal != nil {
                // Every worker has finished its own cleanup, each beside the others; what is left
                // between them goes now, one task after another, so no two cleanups race.
                let sandboxes = configuration.sandboxes
                let group = configuration.runID
                let runner = validator.runner
                let left = sandboxes.leftoverNames(group: group)
                let stopped = tasks.filter { left.contains("\($0.instanceID)-gold") || left.contains("\($0.instanceID)-empty") }
                for task in stopped {
                    await sandboxes.removeInterrupted(
                        group: group, names: ["\(task.instanceID)-gold", "\(task.instanceID)-empty"], base: { try await runner.base(for: task) })
                }
                await Task.detached { await sandboxes.sweepRegistrations(group: group) }.value
                printError("interrupted: \(verdicts.count) of \(tasks.count) tasks validated; the rest were stopped and their worktrees removed")
                return Interruption.exitCode ?? 130
            }
            let invalid = verdicts.filter { !$0.isValid }
            let elapsed = Date().timeIntervalSince(started)
            printError(String(format: "%d valid, %d invalid, %.1f s", verdicts.count - invalid.count, invalid.count, elapsed))
            if let logs { printError("logs: \(logs)") }
            if json {
                let document: JSONValue = [
                    "valid": .number(Double(verdicts.count - invalid.count)), "invalid": .number(Double(invalid.count)),
                    "duration": .number(elapsed), "tasks": .array(verdicts.map(\.json)),
                ]
                print(document.prettyEncoded())
            }
            return invalid.isEmpty ? 0 : 1
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

struct SynthTasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Make verified SWE-bench-style tasks from a repository with passing tests by injecting bugs.",
        discussion: """
            Runs the tests twice at HEAD (tests whose result differs are flaky and never used; the second run records \
            which tests call which functions, for pytest suites), makes procedural bug candidates in non-test Python files \
            (flip a comparison, off-by-one, a slice or range bound, swap and/or, negate an if, drop an else/elif branch, \
            an early return or a guard, swap two call arguments, change a default, drop a state update) and Swift and C \
            files (the same, but a C constant instead of a default, which C does not have; checked by the test \
            command's build), runs on each in a scratch checkout the tests that call its function (or the suite) \
            and keeps those that break a test that passed. Each task's base commit (HEAD with the bug, without the failing \
            tests' files) lives in OUT/.repos/; gold.patch undoes the bug and test.patch brings the tests back. Your \
            checkout is only read. \
            OUT/synth.json counts what was tried, dropped and kept. A rerun with the same --seed skips tasks already written.

            Without --model, synthesis is procedural and makes no model call. With --model, the model also rewrites up to \
            --rewrites Python functions from their signature and docstring (lm_rewrite candidates, validated like the \
            others; a rewrite identical to the original, that does not compile, or that changes code outside its function \
            is dropped) and writes each task's problem statement from the failing tests' output (never the diff); a \
            statement that holds a line of the fix, or a failed call, falls back to the procedural one. synth.json's \
            "model" counts calls, errors, tokens and cost.

            Exit codes: 0 done (even with fewer tasks than --count); 2 usage error, or a suite that does not run or \
            where nothing passes; 3 infrastructure error.
            """)

    @Option(help: "The git repository (any folder inside its work tree).")
    var repo: String = "."

    @Option(help: "The shell command that runs the tests, from the repository root (default: detected as solve does).")
    var testCmd: String?

    @Option(help: "How to read the test output per test: a log parser name (default: guessed from the command).")
    var testParser: String?

    @Option(help: "Tasks to keep.")
    var count: Int = 50

    @Option(help: "Where the task folders, synth.json and the scratch repository go (outside the repository).")
    var out: String = "SynthTasks"

    @Option(help: "Candidates validated at once.")
    var workers: Int = 2

    @Option(help: "Seed of the candidate choice: the same seed makes the same tasks.")
    var seed: UInt64 = 0

    @Option(help: "Languages to inject bugs into, comma-separated: python, swift, c.")
    var languages: String = "python,swift,c"

    @Option(help: "Combined tasks to add, each joining two or three kept bugs of one file (a multi-location fix).")
    var combined: Int = 0

    @Flag(help: "Also run the whole suite on each candidate that breaks a test calling its function (finds every FAIL_TO_PASS test; slower).")
    var fullSuite = false

    @Option(help: "With --model: functions the model is asked to rewrite (lm_rewrite candidates), at most; one call each (default: 20).")
    var rewrites: Int?

    @Option(help: "Seconds the baseline test run may take.")
    var testTimeout: Double = 900

    @OptionGroup(title: "Model (optional: LM rewrites and model-written problem statements)") var model: ModelOptions

    @OptionGroup var sandbox: SandboxOptions

    @Flag(help: "Print synth.json on stdout.")
    var json = false

    func validate() throws {
        try OptionRange.workers(workers)
        guard count > 0 else { throw CLIError("--count must be at least 1") }
        if let rewrites {
            try OptionRange.count(rewrites, "--rewrites", from: 0, to: 100_000)
            // Without a model there is nobody to ask: say so rather than run a procedural synthesis the user did not mean.
            guard model.model != nil else { throw CLIError("--rewrites asks a model for function rewrites: give --model too") }
        }
    }

    func run() async throws {
        try await reportingErrors(interruptible: true) {
            let detected: DetectedTestCommand
            if let testCmd {
                detected = TestCommandDetector.custom(testCmd, parser: testParser)
            } else if let found = TestCommandDetector.detect(root: repo) {
                detected = found
                printError("tests: `\(found.command)` — \(found.reason)")
            } else {
                throw CLIError("no test command found in \(repo): give one with --test-cmd")
            }
            guard let parser = testParser ?? detected.parserName, parser != "exit-status" else {
                throw CLIError("synthesis needs per-test results: give --test-parser (one of \(TestLogParsers.names.joined(separator: ", ")))")
            }
            // Only with --model: synthesis without one is procedural and costs nothing.
            var chatModel: (any ChatModel)?
            if model.model != nil {
                var configuration = try model.configuration()
                // Rewrites and statements are plain text: no tool calls, no constrained decoding.
                configuration.toolMode = .native
                configuration = try await configuration.preparingServer()
                printError(await configuration.readinessLine())
                chatModel = try ModelRegistry.standard.model(configuration, for: ModelContext(taskName: "tasks synth"))
            }
            let request = SynthRequest(
                repository: repo, testCommand: detected.command, parserName: parser, count: count, outputDirectory: out, workers: workers,
                seed: seed, languages: languages.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                sandboxRoot: sandbox.sandboxRoot, isolation: try await sandbox.isolation(), testTimeout: testTimeout, combined: combined,
                confirmWithFullSuite: fullSuite, model: chatModel, rewrites: rewrites ?? 20)
            let summary: SynthSummary
            do {
                summary = try await TaskSynthesizer(request: request, onProgress: { printError($0) }).run()
            } catch let error as SynthError {
                throw CLIError(error.description, exitCode: error.exitCode)
            }
            let total = summary.total
            printError(
                "\(summary.written.count) tasks written (\(summary.alreadyWritten) already there) to \(out): \(total.tried) candidates tried, "
                    + "\(total.notCompiling) did not compile, \(total.breaksNothing) broke nothing, \(total.slow) timed out, "
                    + "\(total.duplicate) duplicates, \(total.capped) over a cap; " + String(format: "%.1f s", summary.duration))
            if let usage = summary.model {
                let rewrites = summary.perOperator[FunctionRewriter.operatorName] ?? SynthSummary.Counts()
                printError(
                    "model \(usage.model): \(usage.calls) calls, \(usage.errors) errors, \(usage.usage.totalTokens) tokens"
                        + (usage.cost.map { String(format: ", $%.4f", $0) } ?? "") + "; rewrites: \(rewrites.kept) kept of \(usage.rewritesRequested) asked "
                        + "(\(rewrites.notCompiling) did not compile, \(usage.rewritesIdentical) identical, \(usage.rewritesOutsideFunction) outside the function, "
                        + "\(rewrites.breaksNothing) broke nothing); statements: \(usage.statementsByModel) by the model, "
                        + "\(usage.statementsLeaking) leaked the fix, \(usage.statementsFailed) failed (procedural instead)")
            }
            if json { print(summary.json.prettyEncoded()) }
            return 0
        }
    }
}

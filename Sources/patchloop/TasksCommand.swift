import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopTasks
import PatchloopWorkspace

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List, validate and import task sets.",
        subcommands: [ListTasks.self, ValidateTasks.self, ImportTasks.self])
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

    func validate() throws {
        guard workers > 0 else { throw CLIError("--workers must be at least 1") }
        try OptionRange.count(workers, "--workers", to: OptionRange.maxWorkers)
    }

    func run() async throws {
        try await reportingErrors(interruptible: true) {
            let tasks = await EnvironmentSupport.prepare(try TaskStore.load(directory), workers: workers)
            let isolation = try await sandbox.isolation()
            let configuration = RunConfiguration(
                runID: "validate-" + RunConfiguration.newRunID(), sandboxRoot: sandbox.sandboxRoot, isolation: isolation)
            let validator = TaskValidator(runner: AttemptRunner(configuration: configuration))
            let started = Date()
            printError("validating \(tasks.count) task\(tasks.count == 1 ? "" : "s") with \(workers) worker\(workers == 1 ? "" : "s")…")
            let verdicts = await validator.validate(tasks, workers: workers) { verdict in
                let mark = verdict.isValid ? "✔" : "✘"
                printError(String(format: "%@ %@ (%.1f s)", mark, verdict.instanceID, verdict.duration))
                for problem in verdict.problems {
                    printError(problem.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                }
            }
            if Interruption.signal != nil {
                // Every worker has finished its own cleanup; what killed git commands left between them goes now.
                let sandboxes = configuration.sandboxes
                let group = configuration.runID
                await Task.detached { await sandboxes.sweepRegistrations(group: group) }.value
                printError("interrupted: \(verdicts.count) of \(tasks.count) tasks validated; the rest were stopped and their worktrees removed")
                return Interruption.exitCode ?? 130
            }
            let invalid = verdicts.filter { !$0.isValid }
            let elapsed = Date().timeIntervalSince(started)
            printError(String(format: "%d valid, %d invalid, %.1f s", verdicts.count - invalid.count, invalid.count, elapsed))
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

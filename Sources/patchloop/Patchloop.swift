import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopExport
import PatchloopModels
import PatchloopTasks
import PatchloopWorkspace

@main
struct Patchloop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patchloop",
        abstract: "A coding agent and evaluation harness: issue in, tested patch out.",
        discussion: """
            Each attempt runs in its own git worktree under Sandboxes/, with the task's tests in bubblewrap. \
            Trajectories, results and patches go to runs/<run-id>/.

            Exit codes: 0 resolved / success (solve: a patch with the tests passing), 1 ran but not resolved (or a task \
            invalid; solve: no passing patch within the budget), 2 usage or input error, 3 infrastructure or model error, \
            130 / 143 interrupted by SIGINT / SIGTERM (eval, score, run, tasks validate: the work under way is stopped \
            and cleaned up; eval and score print how to resume).
            """,
        version: PatchloopVersion.current,
        subcommands: [
            RunCommand.self, SolveCommand.self, EvalCommand.self, ScoreCommand.self, MergeCommand.self, TasksCommand.self, EnvCommand.self, ShowCommand.self,
            ExportCommand.self, StatsCommand.self, FlywheelCommand.self, ReportCommand.self,
        ]
    )

    /// argument-parser's own `main` exits 64 for a parse error and 1 for an error thrown by
    /// `validate()`; the documented contract is 2 for every usage or input error (1 means
    /// "not resolved" or "stopped by the budget"), so parsing and running are split here.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot()
        } catch {
            exitForUsage(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            exitForUsage(error)
        }
        Foundation.exit(0)
    }

    /// Help and `--version` exit 0 as argument-parser prints them; any other error is a usage error.
    private static func exitForUsage(_ error: any Error) -> Never {
        if exitCode(for: error).isSuccess { exit(withError: error) }
        printError(fullMessage(for: error))
        Foundation.exit(2)
    }
}

/// Options every command that runs attempts shares.
struct SandboxOptions: ParsableArguments {
    @Option(name: .customLong("sandboxes"), help: "Where scratch worktrees go.")
    var sandboxRoot: String = ProcessInfo.processInfo.environment["PATCHLOOP_SANDBOXES"] ?? "Sandboxes"

    @Flag(name: .customLong("no-sandbox"), help: "Run test commands without bubblewrap (only where it cannot run).")
    var noSandbox = false

    @Option(
        name: .customLong("pass-env"),
        help: "Hand this variable of Patchloop's environment to test commands (repeatable); all others but PATH, locale and toolchain settings stay out.")
    var passEnvironment: [String] = []

    @Option(
        name: .customLong("runtime"),
        help: ArgumentHelp(
            "The container program for tasks whose environment is an image: docker or podman (default: PATCHLOOP_RUNTIME, else whichever is installed).",
            valueName: "docker|podman"))
    var runtime: String?

    /// `--runtime` as a kind; a usage error names the choices.
    func runtimeKind() throws -> ContainerRuntime.Kind? {
        try EnvironmentSupport.runtimeKind(runtime ?? ProcessInfo.processInfo.environment["PATCHLOOP_RUNTIME"])
    }

    /// Bubblewrap unless refused; fails with the reason when it cannot start.
    func isolation() async throws -> CommandIsolation {
        EnvironmentSupport.containerRuntime = try runtimeKind()
        if !passEnvironment.isEmpty {
            // Read by every child environment this process builds (ProcessEnvironment.allowListed).
            let names = ProcessEnvironment.passedThrough() + passEnvironment
            setenv(ProcessEnvironment.passThroughVariable, names.joined(separator: ","), 1)
        }
        // One that is not there yet is checked once made (`solve` moves it out of the user's checkout first).
        if FileManager.default.fileExists(atPath: sandboxRoot), let problem = SandboxManager.rootProblem(sandboxRoot) {
            throw CLIError(problem)
        }
        if noSandbox { return .none }
        if let problem = await CommandIsolation.checkBubblewrap() {
            throw CLIError(problem, exitCode: 3)
        }
        return .bubblewrap
    }
}

/// An error for the user: printed as one line, with its exit code.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32 = 2) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// Prints to standard error (human output when standard output carries JSON or a patch).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((Redactor.shared.redact(text) + "\n").utf8))
}

/// Errors in what the user gave (files, options, names): exit code 2, not 3.
func isInputError(_ error: any Error) -> Bool {
    switch error {
    case is TaskLoadError, is TaskImportError, is RunDirectoryError, is ShardError, is ModelSpecError, is ExportError: return true
    case let error as ModelError: return error.kind == .badRequest
    default: return false
    }
}

/// Runs a command body, turning errors into a one-line message and an exit code.
///
/// An `interruptible` body runs as a task that SIGINT and SIGTERM cancel (see
/// `Interruption`); the command then exits 130 or 143, whatever the body returned.
func reportingErrors(interruptible: Bool = false, _ body: @escaping @Sendable () async throws -> Int32) async throws {
    var code: Int32
    do {
        code = interruptible ? try await Interruption.run(body) : try await body()
    } catch let error as CLIError {
        printError("error: \(error.description)")
        code = error.exitCode
    } catch where Interruption.signal != nil {
        // The cancelled work ended with an error (a CancellationError, a killed git): expected.
        printError("interrupted by \(Interruption.signalName): the work under way was stopped and its worktrees removed")
        code = 0
    } catch {
        printError("error: \(ErrorText.sentence(for: error))")
        code = isInputError(error) ? 2 : 3
    }
    if let interrupted = Interruption.exitCode { code = interrupted }
    if code != 0 { throw ExitCode(code) }
}

import Foundation
import PatchloopTools
import PatchloopWorkspace

/// A task's test command, run in a worktree (under bubblewrap unless asked otherwise) or,
/// when the task's environment is an image, in the attempt's container, and read with the
/// task's log parser. `run_tests` and the scorer both use it, and neither knows where it ran.
public struct TaskTestSuite: TestSuite {
    public var command: String
    public var parser: any TestLogParser
    public var isolation: CommandIsolation
    public var timeout: Double
    public var runner: ProcessRunner
    /// Folders the tests must not see even where a visible folder holds them: the task's
    /// own folder (its reference fix and hidden tests), the run directory, the sandboxes.
    public var hiddenPaths: [String]
    /// The task's built environment (its venv on `PATH`, bound read-only in the sandbox); nil: the host's.
    public var activation: EnvironmentActivation?
    /// The attempt's container, when the environment is an image; `finish()` removes it.
    public var container: ContainerSession?

    public init(
        command: String, parser: any TestLogParser, isolation: CommandIsolation, timeout: Double, runner: ProcessRunner = ProcessRunner(),
        hiddenPaths: [String] = [], activation: EnvironmentActivation? = nil, container: ContainerSession? = nil
    ) {
        self.container = container
        self.command = command
        self.parser = parser
        self.isolation = isolation
        self.timeout = timeout
        self.runner = runner
        self.hiddenPaths = hiddenPaths
        self.activation = activation
    }

    /// Commands a fresh worktree needs before its first test run: the environment's
    /// install steps, then the task's own setup.
    public static func preparationCommands(for task: TaskInstance) -> [String] {
        (task.environmentActivation?.installCommands ?? []) + task.setup
    }

    /// The suite of `task`. When its environment is an image, the tests run in a container
    /// of it for `sandbox` (labelled with `runID`); call `finish()` when the attempt ends.
    public init(task: TaskInstance, isolation: CommandIsolation, hiding hiddenPaths: [String] = [], sandbox: Sandbox? = nil, runID: String = "patchloop")
        throws
    {
        guard let parser = TestLogParsers.named(task.logParser) else {
            throw TaskLoadError("task \(task.instanceID): log_parser '\(task.logParser)' is unknown")
        }
        if let failure = task.environmentFailure { throw failure }
        if let environment = task.environment, task.environmentActivation == nil {
            throw EnvironmentError(
                "task \(task.instanceID) needs its environment (\(environment.summary)), which is not built: run `patchloop env build` on its tasks")
        }
        var session: ContainerSession?
        if let container = task.environmentActivation?.container {
            guard let sandbox else {
                throw EnvironmentError("task \(task.instanceID) runs its tests in the image \(container.image.name), and this command has no worktree to bring into it")
            }
            session = ContainerSession(runtime: container.runtime, image: container.image, runID: runID, sandbox: sandbox)
        }
        self.init(
            command: task.testCommand, parser: parser, isolation: isolation, timeout: task.testTimeout,
            hiddenPaths: (task.directory.map { [$0] } ?? []) + hiddenPaths, activation: task.environmentActivation, container: session)
    }

    /// Removes the attempt's container, if there is one.
    public func finish() async {
        await container?.close()
    }

    /// What a container's tests see besides the image's own environment: the task's
    /// variables, the names the user passes through (`--pass-env`), and the settings that
    /// keep logs plain. Nothing else of Patchloop's environment (no secrets, no host PATH).
    public static func containerVariables(_ activation: EnvironmentActivation?, host: [String: String] = ProcessInfo.processInfo.environment)
        -> [String: String]
    {
        var variables = ["PYTHONDONTWRITEBYTECODE": "1", "PYTEST_ADDOPTS": "-p no:cacheprovider", "NO_COLOR": "1", "TERM": "dumb"]
        for name in ProcessEnvironment.passedThrough(host) { if let value = host[name] { variables[name] = value } }
        for (name, value) in activation?.variables ?? [:] { variables[name] = value }
        return variables
    }

    /// The environment of test runs: the allow-list (no secrets under any name), and
    /// nothing written that is not the agent's work (no bytecode, no pytest cache), so the
    /// patch stays clean.
    public static func environment() -> [String: String] {
        var environment = ProcessEnvironment.allowListed()
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["PYTEST_ADDOPTS"] = "-p no:cacheprovider"
        environment["NO_COLOR"] = "1"
        environment["TERM"] = "dumb"
        return environment
    }

    public func run(tests: [String], in worktree: String) async throws -> TestRunReport {
        var commandLine = command
        var note: String?
        if !tests.isEmpty {
            if let selected = parser.selecting(tests, command: command) {
                commandLine = selected
            } else {
                note = "this test framework cannot run single tests here; the whole suite ran"
            }
        }
        // A build the environment keeps up to date: the agent's edits to compiled code are
        // built before its tests run. Its output is shown only when it fails (the tests then
        // do not run); its time counts in the run's.
        var buildSeconds = 0.0
        if let activation, activation.rebuildsBeforeTests, container == nil {
            for install in activation.repeatedInstallCommands {
                let build = try await execute(install, in: worktree)
                buildSeconds += build.duration
                guard build.succeeded else {
                    return TestRunReport(
                        passed: [], failed: [], skipped: [], exitCode: build.exitCode, timedOut: build.timedOut, duration: buildSeconds,
                        output: build.standardOutput.text, note: "the build before the tests (`\(install)`) failed (\(build.statusDescription)); the tests did not run")
                }
            }
        }
        let outcome = try await execute(commandLine, in: worktree)
        let statuses = parser.parse(outcome.standardOutput.text)
        var report = TestRunReport(
            passed: statuses.filter { $0.value.countsAsPassed }.keys.sorted(),
            failed: statuses.filter { $0.value == .failed || $0.value == .error }.keys.sorted(),
            skipped: statuses.filter { $0.value == .skipped }.keys.sorted(),
            exitCode: outcome.exitCode, timedOut: outcome.timedOut, duration: buildSeconds + outcome.duration,
            output: outcome.standardOutput.text, note: note)
        if !tests.isEmpty {
            let missing = tests.filter { statuses[$0] == nil }
            if !missing.isEmpty {
                report.note = [report.note, "not found in the output: \(missing.joined(separator: ", "))"].compactMap { $0 }.joined(separator: "; ")
            }
        }
        return report
    }

    /// Runs a command line in the worktree under this suite's isolation and time limit,
    /// keeping `outputLimit` of its output (by default all of a test log up to 48 MiB of
    /// head and 16 MiB of tail, so that parsing never misses a line a shorter cap cut).
    public func execute(_ commandLine: String, in worktree: String, outputLimit: OutputLimit = .testLog) async throws -> ProcessOutcome {
        if let container {
            return try await container.execute(
                commandLine, variables: TaskTestSuite.containerVariables(activation), timeout: timeout, outputLimit: outputLimit)
        }
        var environment = TaskTestSuite.environment()
        if let activation { environment = activation.apply(to: environment, worktree: worktree) }
        return try await runner.run(
            isolation.spec(
                command: commandLine, worktree: worktree, environment: environment, timeout: timeout, outputLimit: outputLimit,
                hiding: hiddenPaths, readOnly: activation?.readOnlyPaths ?? []))
    }
}

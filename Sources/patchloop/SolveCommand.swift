import ArgumentParser
import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopSolve
import PatchloopTasks

struct SolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Headless issue-to-patch on any git repository: prints a tested patch.",
        discussion: """
            Works in a scratch worktree of HEAD under Sandboxes/; your checkout is not changed unless you pass \
            --apply or --branch (and then only with a patch that passes the tests). Uncommitted changes are left out \
            (and listed) unless --include-dirty.

            Tests: --test-cmd, or detected from the repository root: Package.swift → swift test; pyproject.toml, \
            setup.cfg, pytest.ini or a tests/ folder of Python files → pytest; Cargo.toml → cargo test; go.mod → \
            go test -v ./...; package.json with a test script → npm test; a Makefile with a test target → make test. \
            They run once before the agent starts (the baseline) and once on its patch. When the output cannot be read \
            per test, the command's exit status is the verdict.

            Output: the patch on stdout (or --patch-out FILE), progress on stderr; --json prints a summary instead. \
            The run directory (runs/<run-id>/) holds the trajectory, the patch and result.json.

            Exit codes: 0 a patch with the tests passing; 1 no passing patch within the budget; 2 usage or input \
            error (including: no test command found); 3 infrastructure or model error.
            """)

    @Option(help: "The git repository (any folder inside its work tree).")
    var repo: String = "."

    @Option(help: "The issue: a text or Markdown file, `gh issue view --json title,body,comments` output, or - for standard input.")
    var issue: String

    @Option(help: "The shell command that runs the tests, from the repository root (default: detected).")
    var testCmd: String?

    @Option(help: "How to read the test output: pytest, swift, tap, cargo, gotest, or exit-status (default: chosen with the command).")
    var testParser: String?

    @Option(help: "Seconds one test run may take.")
    var testTimeout: Double = 900

    @Flag(help: "Start from HEAD plus the checkout's uncommitted changes (default: HEAD only, and the changes are listed).")
    var includeDirty = false

    @Flag(help: "Apply a passing patch to the checkout's files.")
    var apply = false

    @Option(help: "Commit a passing patch on this new branch (from HEAD; the working files are left as they are).")
    var branch: String?

    @Option(help: "Write the patch to this file instead of stdout.")
    var patchOut: String?

    @Flag(help: "Print a JSON summary on stdout: exit status, tests before/after, files changed, steps, tokens, cost, trajectory.")
    var json = false

    @Option(help: "The run directory (default runs/<run-id>, or under the temporary folder when that would be inside the checkout).")
    var output: String?

    @Flag(help: "Leave the scratch worktree in Sandboxes/ for inspection.")
    var keepSandbox = false

    @Flag(help: "Count a patch as passing when tests that failed before the agent started still fail, provided no passing test breaks and at least one failing test is fixed.")
    var allowPreexistingFailures = false

    @OptionGroup var model: ModelOptions
    @OptionGroup(title: "Context") var context: ContextOptions
    @OptionGroup var budget: BudgetOptions
    @OptionGroup var sandbox: SandboxOptions
    @OptionGroup var repositoryContext: RepositoryContextOptions

    func validate() throws {
        try OptionRange.seconds(testTimeout, "--test-timeout")
    }

    func run() async throws {
        try await reportingErrors {
            do {
                return try await solve()
            } catch let error as SolveError {
                throw CLIError(error.description, exitCode: error.exitCode)
            }
        }
    }

    private func solve() async throws -> Int32 {
        if let testParser, testParser != "exit-status", TestLogParsers.named(testParser) == nil {
            throw CLIError("--test-parser '\(testParser)' is unknown; known: \((TestLogParsers.names + ["exit-status"]).joined(separator: ", "))")
        }
        let document = try IssueDocument.parse(try readIssue(), source: issue == "-" ? "standard input" : issue)
        let modelConfiguration = try await model.configuration().preparingServer()
        let agentSettings = try budget.settings(context: context, model: modelConfiguration.spec.description)
        var request = SolveRequest(
            repository: repo, issue: document, testCommand: testCmd, testParser: testParser, testTimeout: testTimeout,
            includeUncommitted: includeDirty, apply: apply, branch: branch, sandboxRoot: sandbox.sandboxRoot, outputDirectory: output,
            isolation: try await sandbox.isolation(), agent: agentSettings, repositoryContext: try repositoryContext.settings(),
            keepSandbox: keepSandbox)
        request.allowPreexistingFailures = allowPreexistingFailures
        printError("patchloop solve · \(document.title) · run \(request.runID)")
        let runner = SolveRunner(
            request: request, onProgress: { printError($0) },
            onStep: { summary in for line in ProgressLines.step(summary) { printError(line) } })
        let result = try await runner.run { context in try ModelRegistry.standard.model(modelConfiguration, for: context) }

        var line = "\(result.outcome.rawValue) · \(result.agentExitStatus?.description ?? "not run") · \(result.steps) steps · \(result.usage.totalTokens) tokens"
        line += result.cost.map { String(format: " · $%.4f", $0) } ?? " · cost unknown"
        printError(line + " · exit \(result.exitCode)")
        printError("trajectory: \(result.trajectoryPath)\nsummary: \(result.resultPath)")
        if let patchOut {
            try result.patch.write(toFile: patchOut, atomically: true, encoding: .utf8)
            printError("patch: \(patchOut)")
        }
        if json {
            print(Redactor.shared.redact(try RunFileCoding.encodePretty(result)))
        } else if patchOut == nil {
            print(result.patch, terminator: "")
        }
        return result.exitCode
    }

    private func readIssue() throws -> Data {
        if issue == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let data = FileManager.default.contents(atPath: issue) else {
            throw CLIError("--issue \(issue): cannot read the file (give a file, or - for standard input)")
        }
        return data
    }
}

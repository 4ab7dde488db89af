import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopTools
import PatchloopWorkspace

/// Everything `patchloop solve` was asked to do.
public struct SolveRequest: Sendable {
    /// The user's checkout (or a folder inside it).
    public var repository: String
    public var issue: IssueDocument
    /// `--test-cmd`; nil detects the command from the repository's files.
    public var testCommand: String?
    /// `--test-parser`: a `TestLogParsers` name or `exit-status`; nil guesses.
    public var testParser: String?
    /// Seconds one test run may take.
    public var testTimeout: Double
    /// Start from HEAD plus the checkout's uncommitted changes (else from HEAD alone).
    public var includeUncommitted: Bool
    /// Apply a passing patch to the checkout's files.
    public var apply: Bool
    /// Commit a passing patch on this new branch of the checkout.
    public var branch: String?
    /// Where scratch worktrees go; moved out of the checkout if it lies inside it.
    public var sandboxRoot: String
    /// The run directory; nil: `runs/<run-id>` (moved out of the checkout if inside it).
    public var outputDirectory: String?
    public var isolation: CommandIsolation
    public var agent: AgentSettings
    public var repositoryContext: RepositoryContextSettings
    public var keepSandbox: Bool
    public var runID: String
    /// Tests that already failed before the agent started may still fail: the patch passes
    /// when no test that passed before fails now and at least one that failed now passes.
    public var allowPreexistingFailures = false

    public init(
        repository: String, issue: IssueDocument, testCommand: String? = nil, testParser: String? = nil, testTimeout: Double = 900,
        includeUncommitted: Bool = false, apply: Bool = false, branch: String? = nil, sandboxRoot: String = "Sandboxes",
        outputDirectory: String? = nil, isolation: CommandIsolation = .bubblewrap, agent: AgentSettings = AgentSettings(),
        repositoryContext: RepositoryContextSettings = RepositoryContextSettings(), keepSandbox: Bool = false,
        runID: String = RunConfiguration.newRunID()
    ) {
        self.repository = repository
        self.issue = issue
        self.testCommand = testCommand
        self.testParser = testParser
        self.testTimeout = testTimeout
        self.includeUncommitted = includeUncommitted
        self.apply = apply
        self.branch = branch
        self.sandboxRoot = sandboxRoot
        self.outputDirectory = outputDirectory
        self.isolation = isolation
        self.agent = agent
        self.repositoryContext = repositoryContext
        self.keepSandbox = keepSandbox
        self.runID = runID
    }
}

/// Headless issue-to-patch on any git repository: a scratch worktree of HEAD, the tests
/// run once for a baseline, the agent loop, the tests run again on its patch, and the
/// patch handed back (applied or committed on a branch only when asked and passing).
public struct SolveRunner: Sendable {
    public var request: SolveRequest
    /// Progress for a person (the CLI prints it on standard error).
    public var onProgress: (@Sendable (String) -> Void)?
    /// Each step of the loop.
    public var onStep: (@Sendable (StepSummary) -> Void)?

    public init(request: SolveRequest, onProgress: (@Sendable (String) -> Void)? = nil, onStep: (@Sendable (StepSummary) -> Void)? = nil) {
        self.request = request
        self.onProgress = onProgress
        self.onStep = onStep
    }

    /// Runs it. `makeModel` gets what a provider may need of the task (`ModelRegistry`).
    /// Throws `SolveError` for usage and infrastructure failures; a run that ends without
    /// a passing patch is a result with exit code 1, not an error.
    public func run(makeModel: (ModelContext) throws -> any ChatModel) async throws -> SolveResult {
        let checkout = try await UserCheckout.open(request.repository)
        if let branch = request.branch { try await checkout.checkNewBranchName(branch) }
        let tests = try testCommand(for: checkout)
        progress("tests: `\(tests.command)` — \(tests.reason)")

        let uncommitted = try await checkout.uncommittedChanges()
        if !uncommitted.isEmpty {
            let listing = uncommitted.prefix(8).joined(separator: ", ") + (uncommitted.count > 8 ? ", … (\(uncommitted.count) in all)" : "")
            if request.includeUncommitted {
                progress("including \(uncommitted.count) uncommitted change\(uncommitted.count == 1 ? "" : "s") of the checkout: \(listing)")
            } else {
                progress(
                    "warning: the checkout has \(uncommitted.count) uncommitted change\(uncommitted.count == 1 ? "" : "s") (\(listing)); "
                        + "this run starts from HEAD \(checkout.head.prefix(12)) without them — pass --include-dirty to include them")
            }
        }

        let task = taskInstance(checkout: checkout, tests: tests)
        let model = try makeModel(ModelContext(taskName: task.instanceID))
        let sandboxes = SandboxManager(root: SolveRunner.outside(checkout.root, request.sandboxRoot, fallback: "Sandboxes", notify: progress))
        let output = SolveRunner.outside(checkout.root, request.outputDirectory ?? "runs/\(request.runID)", fallback: "runs/\(request.runID)", notify: progress)
        let scratch = sandboxes.root + "/.solve/\(request.runID).git"

        let base: BaseRepository
        do {
            base = try await checkout.makeScratchRepository(at: scratch, includeUncommitted: request.includeUncommitted && !uncommitted.isEmpty)
        } catch let error as SolveError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw SolveError(.infrastructure, "cannot make the scratch repository for \(checkout.root): \(ErrorText.sentence(for: error))")
        }
        let sandbox: Sandbox
        do {
            sandbox = try await sandboxes.makeSandbox(from: base, group: request.runID, name: task.instanceID)
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw SolveError(.infrastructure, "cannot make the scratch worktree: \(ErrorText.sentence(for: error))")
        }
        let result: SolveResult
        do {
            result = try await solve(
                task, model: model, tests: tests, checkout: checkout, sandbox: sandbox, output: output, uncommitted: uncommitted)
        } catch {
            await cleanUp(sandbox, sandboxes: sandboxes, scratch: scratch)
            throw error
        }
        await cleanUp(sandbox, sandboxes: sandboxes, scratch: scratch)
        return result
    }

    private func solve(
        _ task: TaskInstance, model: any ChatModel, tests: DetectedTestCommand, checkout: UserCheckout, sandbox: Sandbox, output: String,
        uncommitted: [String]
    ) async throws -> SolveResult {
        let started = Date()
        let suite = try DetectedTestSuite(tests, isolation: request.isolation, timeout: request.testTimeout)
        let session = AgentSession(model: model, settings: request.agent, repositoryContext: request.repositoryContext, onStep: onStep)
        let context = await session.context(of: sandbox, issue: task.problemStatement)
        for problem in context.problems { progress("warning: \(problem)") }
        if let map = context.map {
            progress(String(format: "repository map: %d of %d files, %d tokens, %.2f s", map.shownFiles.count, map.totalFiles, map.tokens, map.buildSeconds))
        }
        if let instructions = context.instructions { progress("project instructions: \(instructions.source)") }

        progress("baseline: running `\(tests.command)` before any change…")
        let before = TestSummary(try await suite.run(tests: [], in: sandbox.path))
        progress("baseline: \(before.line)")
        if before.exitCode == 127 {
            throw SolveError(
                .infrastructure,
                "the test command `\(tests.command)` was not found (exit 127): install its toolchain or give one with --test-cmd\n"
                    + String(before.outputTail.suffix(1000)))
        }

        let files = AttemptFiles(output: output, name: task.instanceID)
        let agentTask = AgentTask(
            instanceID: task.instanceID, repositoryName: task.repo, problemStatement: task.problemStatement, testCommand: tests.command)
        let run = try await session.run(
            agentTask, in: sandbox, tests: suite, context: context, extraContext: before.promptText(command: tests.command), files: files,
            header: [
                "run_id": .string(request.runID), "attempt": 1, "task": task.json,
                "solve": [
                    "repository": .string(checkout.root), "head": .string(checkout.head), "tests": try RunFileCoding.jsonValue(tests),
                    "tests_before": try RunFileCoding.jsonValue(before),
                ],
            ])
        let outcome = run.outcome

        var after: TestSummary?
        if !outcome.patch.isEmpty {
            progress("after: running `\(tests.command)` with the patch…")
            after = TestSummary(try await suite.run(tests: [], in: sandbox.path))
            progress("after: \(after?.line ?? "")")
        }
        let record = AttemptRecord(
            instanceID: task.instanceID, attempt: 1, model: model.identifier, patch: outcome.patch, exitStatus: outcome.exitStatus,
            detail: outcome.detail, score: nil, steps: outcome.steps, usage: outcome.usage, cost: outcome.cost, duration: outcome.duration,
            startedAt: started, trajectoryPath: files.trajectory, patchPath: files.patch)
        var result = SolveResult(
            record: record, tests: tests, before: before, after: after, resultPath: "\(output)/result.json", repository: checkout.root,
            head: checkout.head, uncommitted: uncommitted, includedUncommitted: request.includeUncommitted && !uncommitted.isEmpty,
            repositoryContext: context.json)
        result.decideExit(allowingPreexistingFailures: request.allowPreexistingFailures)

        if result.passing {
            if request.apply {
                try await checkout.apply(patch: outcome.patch)
                result.applied = true
                progress("applied the patch to \(checkout.root)")
            }
            if let branch = request.branch {
                result.branchCommit = try await checkout.commitOnNewBranch(branch, patch: outcome.patch, message: commitMessage(result))
                result.branch = branch
                progress("committed the patch on branch \(branch) (\(result.branchCommit?.prefix(12) ?? "")); your working files are unchanged by it")
            }
        } else if request.apply || request.branch != nil {
            progress("the patch was not applied or committed: it does not pass the tests")
        }

        let document = try RunFileCoding.jsonValue(result)
        run.recordResult(document.objectValue ?? [:])
        try RunFileWriter.writeAtomically(try RunFileCoding.encodePretty(result) + "\n", to: result.resultPath)
        return result
    }

    /// The detected (or given) test command, or a usage error that says what was looked for.
    func testCommand(for checkout: UserCheckout) throws -> DetectedTestCommand {
        if let command = request.testCommand {
            guard !command.trimmingCharacters(in: .whitespaces).isEmpty else { throw SolveError(.usage, "--test-cmd is empty") }
            return TestCommandDetector.custom(command, parser: request.testParser)
        }
        guard var detected = TestCommandDetector.detect(root: checkout.root) else {
            throw SolveError(
                .usage,
                "cannot tell how to run the tests of \(checkout.root): found none of Package.swift, pyproject.toml, setup.cfg, pytest.ini, "
                    + "a tests/ folder of Python files, Cargo.toml, go.mod, a package.json test script or a Makefile test target; "
                    + "give the command with --test-cmd")
        }
        if let parser = request.testParser { detected.parserName = parser == "exit-status" ? nil : parser }
        return detected
    }

    func taskInstance(checkout: UserCheckout, tests: DetectedTestCommand) -> TaskInstance {
        TaskInstance(
            instanceID: SolveRunner.instanceID(repository: checkout.name, title: request.issue.title), repo: checkout.name,
            problemStatement: request.issue.text, failToPass: [], passToPass: [], testCommand: tests.command,
            logParser: tests.parserName ?? "exit-status", language: tests.kind, testTimeout: request.testTimeout, goldPatch: "",
            testPatch: "", source: .git(repository: checkout.root, commit: checkout.head))
    }

    func commitMessage(_ result: SolveResult) -> String {
        var title = request.issue.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.count > 72 { title = String(title.prefix(71)) + "…" }
        return """
            \(title)

            Patch made by Patchloop (\(result.model)) in \(result.steps) steps; `\(result.tests.command)` passes with it \
            (\(result.after?.passed ?? 0) passed).

            """
    }

    private func cleanUp(_ sandbox: Sandbox, sandboxes: SandboxManager, scratch: String) async {
        if request.keepSandbox {
            progress("kept the worktree: \(sandbox.path)")
            return
        }
        await sandboxes.remove(sandbox)
        try? FileManager.default.removeItem(atPath: scratch)
        let solveDirectory = (scratch as NSString).deletingLastPathComponent
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: solveDirectory), entries.isEmpty {
            try? FileManager.default.removeItem(atPath: solveDirectory)
        }
    }

    private func progress(_ line: String) { onProgress?(line) }

    /// `path` made absolute; when it lies inside the checkout (which must not change), a
    /// folder under the system's temporary directory instead, said through `notify`.
    static func outside(_ checkout: String, _ path: String, fallback: String, notify: (String) -> Void) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: checkout).standardizedFileURL.resolvingSymlinksInPath().path
        guard absolute == root || absolute.hasPrefix(root + "/") else { return absolute }
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath().path
        // One folder per user: another user's would be refused (`SandboxManager.rootProblem`).
        let moved = base + "/patchloop-\(geteuid())/" + fallback
        notify("\(path) lies inside the checkout, which solve leaves untouched: using \(moved) instead")
        return moved
    }

    /// `calc__add-returns-a-difference`: the repository and the issue title, for file names.
    static func instanceID(repository: String, title: String) -> String {
        func slug(_ text: String, limit: Int) -> String {
            var result = ""
            for character in text.lowercased() {
                if character.isASCII && (character.isLetter || character.isNumber) {
                    result.append(character)
                } else if !result.isEmpty && result.last != "-" {
                    result.append("-")
                }
                if result.count >= limit { break }
            }
            return result.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        }
        let repositoryPart = slug(repository, limit: 30)
        let titlePart = slug(title, limit: 40)
        return (repositoryPart.isEmpty ? "repo" : repositoryPart) + "__" + (titlePart.isEmpty ? "issue" : titlePart)
    }
}

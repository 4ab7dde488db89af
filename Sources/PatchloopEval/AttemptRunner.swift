import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopTasks
import PatchloopTools
import PatchloopWorkspace

/// Everything about how attempts run that is the same for every task of a run.
public struct RunConfiguration: Sendable, Encodable {
    public var runID: String
    /// The run directory (`runs/<run-id>/`).
    public var outputDirectory: String
    public var sandboxes: SandboxManager
    public var isolation: CommandIsolation
    public var agent: AgentSettings
    /// Leave each attempt's worktree in `Sandboxes/` for inspection.
    public var keepSandbox: Bool
    /// Score each attempt with the hidden tests when it ends.
    public var score: Bool
    /// The repository map and project instructions placed before the issue.
    public var repositoryContext = RepositoryContextSettings()

    public init(
        runID: String = RunConfiguration.newRunID(), outputDirectory: String? = nil, sandboxRoot: String = "Sandboxes",
        isolation: CommandIsolation = .bubblewrap, agent: AgentSettings = AgentSettings(), keepSandbox: Bool = false, score: Bool = true
    ) {
        self.runID = runID
        self.outputDirectory = outputDirectory ?? "runs/\(runID)"
        self.sandboxes = SandboxManager(root: sandboxRoot)
        self.isolation = isolation
        self.agent = agent
        self.keepSandbox = keepSandbox
        self.score = score
    }

    /// `YYYYMMDD-HHMMSS-xxxx`: sortable, and unique enough for runs started the same second.
    public static func newRunID(date: Date = Date()) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let stamp = String(
            format: "%04d%02d%02d-%02d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour),
            Int(parts.tm_min), Int(parts.tm_sec))
        return stamp + "-" + UUID().uuidString.prefix(4).lowercased()
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", kind, runID = "run_id", outputDirectory = "output_directory", sandboxRoot = "sandbox_root"
        case isolation, agent, keepSandbox = "keep_sandbox", score, version = "patchloop_version", repositoryContext = "repository_context"
    }

    /// `patchloop run`'s `config.json` (`kind: run`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(EvaluationSettings.formatVersion, forKey: .formatVersion)
        try container.encode("run", forKey: .kind)
        try container.encode(runID, forKey: .runID)
        try container.encode(outputDirectory, forKey: .outputDirectory)
        try container.encode(sandboxes.root, forKey: .sandboxRoot)
        try container.encode(isolation == .bubblewrap ? "bubblewrap" : "none", forKey: .isolation)
        try container.encode(agent, forKey: .agent)
        try container.encode(keepSandbox, forKey: .keepSandbox)
        try container.encode(score, forKey: .score)
        try container.encode(PatchloopVersion.current, forKey: .version)
        try container.encode(repositoryContext, forKey: .repositoryContext)
    }
}

/// Runs one attempt of one task end to end: sandbox, loop, trajectory, score, files.
public struct AttemptRunner: Sendable {
    public var configuration: RunConfiguration
    /// Progress of each attempt's loop, step by step.
    public var onStep: (@Sendable (String, StepSummary) -> Void)?

    public init(configuration: RunConfiguration, onStep: (@Sendable (String, StepSummary) -> Void)? = nil) {
        self.configuration = configuration
        self.onStep = onStep
    }

    /// The base commit every attempt and score of `task` starts from.
    public func base(for task: TaskInstance) async throws -> BaseRepository {
        switch task.source {
        case .files(let directory):
            return try await configuration.sandboxes.baseRepository(forFilesIn: directory, name: task.instanceID)
        case .git(let repository, let commit):
            return try await configuration.sandboxes.baseRepository(gitRepository: repository, revision: commit)
        }
    }

    /// Runs attempt number `attempt` of `task` with `model` and writes its files.
    public func run(_ task: TaskInstance, model: any ChatModel, attempt: Int = 1, attempts: Int = 1) async throws -> AttemptRecord {
        let files = AttemptFiles(output: configuration.outputDirectory, name: AttemptRecord.name(instanceID: task.instanceID, attempt: attempt, attempts: attempts))

        let base = try await base(for: task)
        let names = ["\(task.instanceID)-\(attempt)", "\(task.instanceID)-\(attempt)-score"]
        do {
            let sandbox = try await configuration.sandboxes.makeSandbox(from: base, group: configuration.runID, name: names[0])
            let result: AttemptRecord
            do {
                result = try await run(task, model: model, attempt: attempt, base: base, sandbox: sandbox, files: files)
            } catch {
                // A failed setup leaves its worktree for the user to look at.
                if !configuration.keepSandbox && !(error is SetupFailure) && !Task.isCancelled { await configuration.sandboxes.remove(sandbox) }
                throw error
            }
            if !configuration.keepSandbox { await configuration.sandboxes.remove(sandbox) }
            return result
        } catch {
            // Interrupted: the cancelled git commands could not clean up, so clean up outside the cancellation.
            guard Task.isCancelled else { throw error }
            await configuration.sandboxes.removeInterrupted(
                group: configuration.runID, names: configuration.keepSandbox ? [names[1]] : names, base: { base })
            throw CancellationError()
        }
    }

    private func run(
        _ task: TaskInstance, model: any ChatModel, attempt: Int, base: BaseRepository, sandbox: Sandbox, files: AttemptFiles
    ) async throws -> AttemptRecord {
        let started = Date()
        let hidden = [configuration.outputDirectory, configuration.sandboxes.root]
        let suite = try TaskTestSuite(task: task, isolation: configuration.isolation, hiding: hidden, sandbox: sandbox, runID: configuration.runID)
        do {
            let record = try await run(task, model: model, attempt: attempt, base: base, sandbox: sandbox, files: files, suite: suite, started: started)
            await suite.finish()
            return record
        } catch {
            await suite.finish()
            throw error
        }
    }

    private func run(
        _ task: TaskInstance, model: any ChatModel, attempt: Int, base: BaseRepository, sandbox: Sandbox, files: AttemptFiles, suite: TaskTestSuite,
        started: Date
    ) async throws -> AttemptRecord {
        let preparation = try await WorktreePreparation(task: task, suite: suite).run(in: sandbox)
        if let command = preparation.failedCommand, let failure = preparation.failure {
            throw SetupFailure(
                description: "setup command `\(command)` failed in \(sandbox.path) (\(failure.statusDescription)):\n\(failure.standardOutput.text.suffix(2000))")
        }
        let instanceID = task.instanceID
        var session = AgentSession(model: model, settings: configuration.agent, repositoryContext: configuration.repositoryContext)
        if let onStep {
            session.onStep = { summary in onStep(instanceID, summary) }
        }
        let agentTask = AgentTask(
            instanceID: task.instanceID, repositoryName: task.repo, problemStatement: task.problemStatement, hints: task.hintsText,
            testCommand: task.testCommand)
        let run = try await session.run(
            agentTask, in: sandbox, tests: suite, context: await session.context(of: sandbox, issue: task.problemStatement), files: files,
            header: ["run_id": .string(configuration.runID), "attempt": .number(Double(attempt)), "task": task.json])
        let outcome = run.outcome

        // Interrupted: a score of a cut-short attempt means nothing.
        try Task.checkCancellation()
        // The agent's container goes before the scorer starts a fresh one.
        await suite.finish()
        var score: ScoreReport?
        if configuration.score {
            score = try await Scorer(
                sandboxes: configuration.sandboxes, isolation: configuration.isolation, hiding: [configuration.outputDirectory], runID: configuration.runID)
                .score(task, patch: outcome.patch, base: base, group: configuration.runID, name: "\(task.instanceID)-\(attempt)-score")
            try score?.writeLogs(into: files.logs)
        }
        let record = AttemptRecord(
            instanceID: task.instanceID, attempt: attempt, model: model.identifier, patch: outcome.patch, exitStatus: outcome.exitStatus,
            detail: outcome.detail, score: score, steps: outcome.steps, usage: outcome.usage, cost: outcome.cost, duration: outcome.duration,
            startedAt: started, trajectoryPath: files.trajectory, patchPath: files.patch, sandboxPath: configuration.keepSandbox ? sandbox.path : nil,
            testLogPath: score == nil ? nil : files.logs)
        run.recordResult(["record": try RunFileCoding.jsonValue(record)])
        return record
    }
}

/// A task's setup command failed; its sandbox is kept for inspection.
public struct SetupFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension ModelContext {
    /// What a provider may need of `task`: its name and its gold patch.
    public init(task: TaskInstance) {
        self.init(taskName: task.instanceID, goldPatch: task.goldPatch)
    }
}

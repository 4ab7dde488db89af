import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopTasks
import PatchloopTools
import PatchloopWorkspace

/// Everything about how attempts run that is the same for every task of a run.
public struct RunConfiguration: Sendable {
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

    public var json: JSONValue {
        [
            "run_id": .string(runID), "output_directory": .string(outputDirectory), "sandbox_root": .string(sandboxes.root),
            "isolation": .string(isolation == .bubblewrap ? "bubblewrap" : "none"), "agent": agent.json,
            "keep_sandbox": .bool(keepSandbox), "score": .bool(score), "patchloop_version": .string(PatchloopVersion.current),
            "repository_context": repositoryContext.json,
        ]
    }
}

/// One finished (and scored) attempt: what `result.json` holds.
public struct AttemptResult: Sendable {
    public var instanceID: String
    public var attempt: Int
    public var model: String
    public var exitStatus: ExitStatus
    public var detail: String
    /// Nil when the attempt was not scored.
    public var score: ScoreReport?
    public var steps: Int
    public var usage: TokenUsage
    public var cost: Double?
    public var duration: Double
    public var patch: String
    public var trajectoryPath: String
    public var patchPath: String
    public var sandboxPath: String?

    public var resolved: Bool { score?.resolved ?? false }

    public var json: JSONValue {
        [
            "instance_id": .string(instanceID), "attempt": .number(Double(attempt)), "model": .string(model),
            "exit_status": .string(exitStatus.description), "detail": .string(detail),
            "resolved": score.map { .bool($0.resolved) } ?? .null,
            "report": score.map(\.swebenchJSON) ?? .null,
            "steps": .number(Double(steps)), "tokens": usage.json, "total_tokens": .number(Double(usage.totalTokens)),
            "cost": cost.map { .number($0) } ?? .null, "duration": .number(duration), "patch": .string(patch),
            "trajectory": .string(trajectoryPath), "patch_file": .string(patchPath),
            "sandbox": sandboxPath.map { .string($0) } ?? .null,
        ]
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
    public func run(_ task: TaskInstance, model: any ChatModel, attempt: Int = 1, attempts: Int = 1) async throws -> AttemptResult {
        let name = attempts > 1 ? "\(task.instanceID).\(attempt)" : task.instanceID
        let output = configuration.outputDirectory
        let trajectoryPath = "\(output)/trajectories/\(name).jsonl"
        let patchPath = "\(output)/patches/\(name).patch"
        try FileManager.default.createDirectory(atPath: "\(output)/patches", withIntermediateDirectories: true)

        let base = try await base(for: task)
        let names = ["\(task.instanceID)-\(attempt)", "\(task.instanceID)-\(attempt)-score"]
        do {
            let sandbox = try await configuration.sandboxes.makeSandbox(from: base, group: configuration.runID, name: names[0])
            let result: AttemptResult
            do {
                result = try await run(
                    task, model: model, attempt: attempt, base: base, sandbox: sandbox, trajectoryPath: trajectoryPath, patchPath: patchPath)
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
        _ task: TaskInstance, model: any ChatModel, attempt: Int, base: BaseRepository, sandbox: Sandbox, trajectoryPath: String,
        patchPath: String
    ) async throws -> AttemptResult {
        let hidden = [configuration.outputDirectory, configuration.sandboxes.root]
        let suite = try TaskTestSuite(task: task, isolation: configuration.isolation, hiding: hidden)
        for command in task.setup {
            let outcome = try await suite.execute(command, in: sandbox.path)
            if !outcome.succeeded {
                throw SetupFailure(
                    description: "setup command `\(command)` failed in \(sandbox.path) (\(outcome.statusDescription)):\n\(outcome.standardOutput.text.suffix(2000))")
            }
        }
        let recorder = try TrajectoryRecorder(path: trajectoryPath)
        var agent = Agent(
            model: model, context: ToolContext(worktree: sandbox.path, testSuite: suite, git: sandbox.git), sandbox: sandbox,
            settings: configuration.agent, recorder: recorder)
        if let onStep {
            let instanceID = task.instanceID
            agent.onStep = { onStep(instanceID, $0) }
        }
        let context = await RepositoryContext.build(
            root: sandbox.path, issue: task.problemStatement, settings: configuration.repositoryContext, git: sandbox.git)
        let agentTask = AgentTask(
            instanceID: task.instanceID, repositoryName: task.repo, problemStatement: task.problemStatement, hints: task.hintsText,
            testCommand: task.testCommand, context: context.text)
        let outcome = await agent.run(
            agentTask,
            header: [
                "run_id": .string(configuration.runID), "attempt": .number(Double(attempt)), "task": task.json,
                "repository_context": context.json,
            ])

        // Interrupted: a score of a cut-short attempt means nothing.
        try Task.checkCancellation()
        var score: ScoreReport?
        if configuration.score {
            score = try await Scorer(sandboxes: configuration.sandboxes, isolation: configuration.isolation, hiding: [configuration.outputDirectory])
                .score(task, patch: outcome.patch, base: base, group: configuration.runID, name: "\(task.instanceID)-\(attempt)-score")
        }
        try RunDirectory.writeAtomically(outcome.patch, to: patchPath)
        let result = AttemptResult(
            instanceID: task.instanceID, attempt: attempt, model: model.identifier, exitStatus: outcome.exitStatus,
            detail: outcome.detail, score: score, steps: outcome.steps, usage: outcome.usage, cost: outcome.cost,
            duration: outcome.duration, patch: outcome.patch, trajectoryPath: trajectoryPath, patchPath: patchPath,
            sandboxPath: configuration.keepSandbox ? sandbox.path : nil)
        var event = result.json.objectValue ?? [:]
        event["type"] = "result"
        event["timestamp"] = .string(TrajectoryRecorder.timestamp())
        recorder.record(.object(event))
        return result
    }
}

extension ModelContext {
    /// What a provider may need of `task`: its name and its gold patch.
    public init(task: TaskInstance) {
        self.init(taskName: task.instanceID, goldPatch: task.goldPatch)
    }
}

/// A task's setup command failed; its sandbox is kept for inspection.
public struct SetupFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
}

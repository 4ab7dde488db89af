import Foundation
import PatchloopCore
import PatchloopModels
import PatchloopTools
import PatchloopWorkspace

/// Wires the loop for one attempt, the same way for every command — `run`, `eval` and
/// `flywheel` through `AttemptRunner`, `solve` through `SolveRunner`: the tools over the
/// sandbox and its test suite, the repository context placed before the issue, the
/// trajectory file, the patch file, progress per step, and the trajectory's last event.
public struct AgentSession: Sendable {
    public var model: any ChatModel
    public var settings: AgentSettings
    /// The repository map and project instructions placed before the issue.
    public var repositoryContext: RepositoryContextSettings
    /// Called after each step (for live output).
    public var onStep: (@Sendable (StepSummary) -> Void)?

    public init(
        model: any ChatModel, settings: AgentSettings, repositoryContext: RepositoryContextSettings = RepositoryContextSettings(),
        onStep: (@Sendable (StepSummary) -> Void)? = nil
    ) {
        self.model = model
        self.settings = settings
        self.repositoryContext = repositoryContext
        self.onStep = onStep
    }

    /// The repository map and project instructions of `sandbox`, ranked for `issue`.
    public func context(of sandbox: Sandbox, issue: String) async -> RepositoryContext {
        await RepositoryContext.build(root: sandbox.path, issue: issue, settings: repositoryContext, git: sandbox.git)
    }

    /// Runs the loop on `task` in `sandbox` and writes its trajectory and patch.
    ///
    /// `context` goes before the issue (with `extraContext` after it, e.g. `solve`'s
    /// baseline test run); `header` adds fields to the trajectory's first line beside
    /// `repository_context`.
    public func run(
        _ task: AgentTask, in sandbox: Sandbox, tests: any TestSuite, context: RepositoryContext, extraContext: String = "",
        files: AttemptFiles, header: [String: JSONValue]
    ) async throws -> AgentAttempt {
        try FileManager.default.createDirectory(atPath: (files.patch as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let recorder = try TrajectoryRecorder(path: files.trajectory)
        var agent = Agent(
            model: model, context: ToolContext(worktree: sandbox.path, testSuite: tests, git: sandbox.git), sandbox: sandbox, settings: settings,
            recorder: recorder)
        agent.onStep = onStep
        var task = task
        task.context = [context.text, extraContext].filter { !$0.isEmpty }.joined(separator: "\n\n")
        var header = header
        header["repository_context"] = context.json
        let outcome = await agent.run(task, header: header)
        try RunFileWriter.writeAtomically(outcome.patch, to: files.patch)
        return AgentAttempt(outcome: outcome, recorder: recorder)
    }
}

/// Where one attempt's files go.
public struct AttemptFiles: Sendable {
    /// `trajectories/<name>.jsonl`.
    public var trajectory: String
    /// `patches/<name>.patch`.
    public var patch: String
    /// `logs/<name>/`: the graded test run (`test_output.txt`, `apply_output.txt`, `grading.json`).
    public var logs: String

    /// The files of the attempt called `name` in the run directory `output`.
    public init(output: String, name: String) {
        trajectory = "\(output)/trajectories/\(name).jsonl"
        patch = "\(output)/patches/\(name).patch"
        logs = "\(output)/logs/\(name)"
    }
}

/// A finished loop whose trajectory still waits for its `result` event.
public struct AgentAttempt: Sendable {
    public var outcome: AgentOutcome
    let recorder: TrajectoryRecorder

    /// Ends the trajectory with the attempt's result: `{"type": "result", "timestamp": …}`
    /// and `fields` (the attempt's record under `record`, and whatever the command adds).
    public func recordResult(_ fields: [String: JSONValue]) {
        var event = fields
        event["type"] = "result"
        event["timestamp"] = .string(TrajectoryRecorder.timestamp())
        recorder.record(.object(event))
    }
}

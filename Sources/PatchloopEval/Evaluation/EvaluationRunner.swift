import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopTasks
import PatchloopWorkspace
import Synchronization

/// What an evaluation run reports while it works.
public enum EvaluationEvent: Sendable {
    /// A resumed run found `finished` attempts done; `discarded` results files were incomplete and are redone.
    case resumed(finished: Int, discarded: [String])
    case started(instanceID: String, attempt: Int)
    case finished(AttemptRecord, EvaluationProgress)
    /// The global budget is spent: no further attempt starts.
    case budgetExhausted(String)
    /// The model is ready: where it is, how it is asked, and (for the local model) how fast
    /// it answered a short probe.
    case modelReady(String)
}

/// How far a run has come, for a progress display.
public struct EvaluationProgress: Sendable {
    public var finished: Int
    public var total: Int
    public var resolved: Int
    public var tokens: Int
    public var cost: Double
    /// Seconds since this invocation started.
    public var elapsed: Double
    /// Seconds left at the pace of this invocation; nil before the first attempt finishes.
    public var estimatedRemaining: Double?
    /// Seconds the attempts of this invocation have spent waiting for a free slot of the
    /// model's endpoint (`--model-concurrency`), summed over the attempts.
    public var modelWait: Double = 0

    /// `[12/40] resolved 7 · 1.2M tokens · $0.42 · 1m02s elapsed · ETA 3m10s`
    public var statusLine: String {
        var line = "[\(finished)/\(total)] resolved \(resolved) · \(EvaluationProgress.tokens(tokens)) tokens · "
        line += String(format: "$%.4f", cost) + " · \(EvaluationProgress.duration(elapsed)) elapsed"
        if modelWait >= 1 { line += " · \(EvaluationProgress.duration(modelWait)) waiting for a model slot" }
        if let estimatedRemaining, finished < total { line += " · ETA \(EvaluationProgress.duration(estimatedRemaining))" }
        return line
    }

    static func tokens(_ count: Int) -> String {
        if count >= 1_000_000 { return String(format: "%.1fM", Double(count) / 1_000_000) }
        if count >= 10_000 { return String(format: "%.0fk", Double(count) / 1000) }
        return String(count)
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 3600 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        if whole >= 60 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%.1fs", seconds)
    }
}

/// The outcome of `EvaluationRunner.run()`.
public struct EvaluationOutcome: Sendable {
    public var records: [AttemptRecord]
    public var summary: RunSummary.Document
    /// Why the run stopped starting attempts early, if it did.
    public var budgetExhausted: String?
    /// The run was cancelled (SIGINT or SIGTERM): the attempts under way were dropped, to be
    /// made again by `--resume`, and the summary covers what had finished.
    public var interrupted = false
    /// How many attempts the run holds in all (finished before, now, and still to make).
    public var total = 0
}

/// Runs every task × attempt of a run with a number of concurrent workers — the agent
/// in its own worktree per attempt, then the scorer — or grades a predictions file, and
/// writes each finished attempt into the run directory as it finishes (see `RunDirectory`).
///
/// Resuming (`resume: true`) keeps every complete results file, redoes the rest, and
/// rebuilds `predictions.jsonl` from the results; nothing is lost and nothing counted twice.
///
/// One process at a time works in a run directory (`RunDirectoryLock`). Cancelling the
/// task that calls `run()` stops the run cleanly: no attempt starts, those under way stop
/// and their worktrees go, their records are dropped (resume makes them again), and the
/// summary of what finished is written.
public struct EvaluationRunner: Sendable {
    public var settings: EvaluationSettings
    /// The task set (every instance in `settings.instanceIDs`).
    public var tasks: [TaskInstance]
    public var workers: Int
    public var resume: Bool
    /// When resuming, also redo attempts that ended in `infra_error` or `model_error`
    /// (the harness or the provider failed, not the model's attempt).
    public var retryErrors: Bool
    public var onEvent: @Sendable (EvaluationEvent) -> Void

    public init(
        settings: EvaluationSettings, tasks: [TaskInstance], workers: Int, resume: Bool = false, retryErrors: Bool = false,
        onEvent: @escaping @Sendable (EvaluationEvent) -> Void = { _ in }
    ) {
        self.retryErrors = retryErrors
        self.settings = settings
        self.tasks = tasks
        self.workers = workers
        self.resume = resume
        self.onEvent = onEvent
    }

    struct WorkItem: Sendable {
        var task: TaskInstance
        var attempt: Int
    }

    public func run() async throws -> EvaluationOutcome {
        let directory = RunDirectory(settings.outputDirectory)
        let started = Date()
        let lock = try await RunDirectoryLock.acquire(directory: directory.path)
        defer { lock.release() }
        if directory.exists && !resume {
            throw RunDirectoryError("\(directory.path) already holds a run: resume it with --resume \(directory.path), or choose another --output")
        }
        if !resume {
            try RunFileWriter.writeAtomically(try settings.fileText(), to: directory.configPath)
        }
        var (previous, discarded) = try directory.loadRecords()
        if resume && retryErrors {
            let failed = previous.filter { $0.failure.kind.isError }
            for record in failed {
                let name = AttemptRecord.fileName(instanceID: record.instanceID, attempt: record.attempt, attempts: settings.attempts)
                try? FileManager.default.removeItem(atPath: directory.resultsDirectory + "/" + name)
                discarded.append(name)
            }
            previous.removeAll { $0.failure.kind.isError }
        }
        try directory.rewritePredictions(previous)
        if resume { onEvent(.resumed(finished: previous.count, discarded: discarded)) }

        let predictions = try loadPredictions()
        let items = plan(done: Set(previous.map { "\($0.instanceID)\u{0}\($0.attempt)" }), predictions: predictions)
        let total = previous.count + items.count
        let state = Mutex(RunState(records: previous))
        let modelWait = Mutex(0.0)
        let attemptRunner = AttemptRunner(
            configuration: RunConfiguration(
                runID: settings.runID, outputDirectory: settings.outputDirectory, sandboxRoot: settings.sandboxRoot, isolation: settings.isolation,
                agent: agentSettings ?? AgentSettings()),
            onStep: { _, step in if step.slotWait > 0 { modelWait.withLock { $0 += step.slotWait } } })

        // The local model is started once for the run, not once per attempt.
        let model: Result<ModelConfiguration, any Error>?
        if case .agent(let configuration, _) = settings.mode, !items.isEmpty {
            do {
                let started = try await configuration.preparingServer()
                model = .success(started)
                onEvent(.modelReady(await started.readinessLine()))
            } catch {
                model = .failure(error)
            }
        } else {
            model = nil
        }

        var budgetMessage: String?
        var writeFailure: (any Error)?
        await withTaskGroup(of: AttemptRecord?.self) { group in
            var next = 0
            var running = 0
            func startNext() {
                guard next < items.count, !Task.isCancelled else { return }
                if let (kind, message) = state.withLock({ settings.totalBudget.exhausted(by: $0.records) }) {
                    if budgetMessage == nil {
                        budgetMessage = "\(kind): \(message)"
                        onEvent(.budgetExhausted("\(message); \(items.count - next) attempts not started"))
                    }
                    next = items.count
                    return
                }
                let item = items[next]
                next += 1
                running += 1
                onEvent(.started(instanceID: item.task.instanceID, attempt: item.attempt))
                group.addTask { await self.perform(item, runner: attemptRunner, predictions: predictions, model: model) }
            }
            for _ in 0..<max(1, workers) { startNext() }
            while let finished = await group.next() {
                running -= 1
                guard let record = finished else { continue }
                // Written as soon as the attempt is done: the result, then its prediction line.
                do {
                    try directory.writeResult(record, attempts: settings.attempts)
                    try directory.appendPrediction(record)
                } catch {
                    // Without its files an attempt is lost: stop starting new ones and say why.
                    writeFailure = writeFailure ?? error
                    next = items.count
                }
                let progress = state.withLock { state -> EvaluationProgress in
                    state.records.append(record)
                    state.finishedNow += 1
                    let elapsed = Date().timeIntervalSince(started)
                    let remaining = total - state.records.count
                    return EvaluationProgress(
                        finished: state.records.count, total: total, resolved: state.records.filter(\.resolved).count,
                        tokens: state.records.reduce(0) { $0 + $1.usage.totalTokens }, cost: state.records.reduce(0) { $0 + ($1.cost ?? 0) },
                        elapsed: elapsed, estimatedRemaining: elapsed / Double(state.finishedNow) * Double(remaining),
                        modelWait: modelWait.withLock { $0 })
                }
                onEvent(.finished(record, progress))
                startNext()
            }
        }

        if let writeFailure { throw writeFailure }
        let interrupted = Task.isCancelled
        let records = state.withLock { $0.records }
        // A resumed run whose budget was already spent says so too.
        if budgetMessage == nil, records.count < total, let (kind, message) = settings.totalBudget.exhausted(by: records) {
            budgetMessage = "\(kind): \(message)"
        }
        let summary = RunSummary(
            instanceIDs: settings.selectedInstanceIDs, attemptsPerInstance: settings.attempts, records: records, model: modelName(records),
            budget: settings.totalBudget, budgetExhausted: budgetMessage)
        let document = summary.document
        try RunFileWriter.writeAtomically(try RunFileCoding.encodePretty(document) + "\n", to: directory.summaryPath)
        return EvaluationOutcome(records: records, summary: document, budgetExhausted: budgetMessage, interrupted: interrupted, total: total)
    }

    struct RunState {
        var records: [AttemptRecord]
        var finishedNow = 0
    }

    var agentSettings: AgentSettings? {
        if case .agent(_, let agent) = settings.mode { return agent }
        return nil
    }

    func modelName(_ records: [AttemptRecord]) -> String {
        if let first = records.first { return first.model }
        if case .agent(let model, _) = settings.mode { return model.spec.description }
        return "unknown"
    }

    /// The predictions being graded (`score`); nil for agent runs.
    func loadPredictions() throws -> [String: Prediction]? {
        guard case .predictions(let path) = settings.mode else { return nil }
        let predictions = path == "gold" ? PredictionsFile.gold(for: tasks) : try PredictionsFile.load(path)
        let known = Set(settings.instanceIDs)
        let unknown = predictions.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw TaskImportError(
                "\(unknown.count) prediction\(unknown.count == 1 ? " names an instance" : "s name instances") not in the task set (\(unknown.prefix(5).joined(separator: ", "))\(unknown.count > 5 ? ", …" : "")): grade them against the tasks they were made for")
        }
        return predictions
    }

    /// The attempts still to make, attempt-major (every task's first attempt before any
    /// second), so a run stopped by its budget has as many tasks tried as possible.
    func plan(done: Set<String>, predictions: [String: Prediction]?) -> [WorkItem] {
        let byID = Dictionary(tasks.map { ($0.instanceID, $0) }, uniquingKeysWith: { first, _ in first })
        var items: [WorkItem] = []
        for attempt in 1...max(1, settings.attempts) {
            for id in settings.selectedInstanceIDs {
                guard let task = byID[id], !done.contains("\(id)\u{0}\(attempt)") else { continue }
                // SWE-bench grades only what was predicted; the rest is incomplete.
                if let predictions, predictions[id] == nil { continue }
                items.append(WorkItem(task: task, attempt: attempt))
            }
        }
        return items
    }

    /// One attempt, or nil when the run was cancelled while it ran: what it recorded may be
    /// cut short, so it is dropped (resume makes it again) and its worktrees are removed.
    func perform(
        _ item: WorkItem, runner: AttemptRunner, predictions: [String: Prediction]?, model: Result<ModelConfiguration, any Error>? = nil
    ) async -> AttemptRecord? {
        if Task.isCancelled { return nil }
        let record = await attempt(item, runner: runner, predictions: predictions, model: model)
        guard Task.isCancelled else { return record }
        let task = item.task
        await runner.configuration.sandboxes.removeInterrupted(
            group: settings.runID, names: sandboxNames(item), base: { try await runner.base(for: task) })
        return nil
    }

    /// The worktrees an attempt uses: the agent's, then the scorer's.
    func sandboxNames(_ item: WorkItem) -> [String] {
        ["\(item.task.instanceID)-\(item.attempt)", "\(item.task.instanceID)-\(item.attempt)-score"]
    }

    /// One attempt, never throwing: what goes wrong is recorded in its result. `model` is the
    /// run's model configuration with the local model started (or why it could not start).
    func attempt(
        _ item: WorkItem, runner: AttemptRunner, predictions: [String: Prediction]?, model startedModel: Result<ModelConfiguration, any Error>? = nil
    ) async -> AttemptRecord {
        let started = Date()
        let task = item.task
        let sandboxes = runner.configuration.sandboxes
        let names = sandboxNames(item)
        if names.contains(where: { sandboxes.hasLeftover(group: settings.runID, name: $0) }), let base = try? await runner.base(for: task) {
            for name in names { await sandboxes.removeLeftover(group: settings.runID, name: name, base: base) }
        }
        if let predictions {
            let prediction = predictions[task.instanceID]
            let patch = prediction?.patch
            let model = prediction?.model ?? "unknown"
            // As SWE-bench's harness: an empty or missing patch is counted, not graded.
            guard let patch, !patch.isEmpty else {
                return AttemptRecord(
                    instanceID: task.instanceID, attempt: item.attempt, model: model, patch: patch, exitStatus: nil, detail: "",
                    score: nil, duration: 0, startedAt: started)
            }
            do {
                let base = try await runner.base(for: task)
                let score = try await Scorer(sandboxes: sandboxes, isolation: settings.isolation, hiding: [settings.outputDirectory], runID: settings.runID)
                    .score(task, patch: patch, base: base, group: settings.runID, name: names[0])
                let logs = AttemptFiles(output: settings.outputDirectory, name: AttemptRecord.name(instanceID: task.instanceID, attempt: item.attempt, attempts: settings.attempts)).logs
                try score.writeLogs(into: logs)
                return AttemptRecord(
                    instanceID: task.instanceID, attempt: item.attempt, model: model, patch: patch, exitStatus: nil, detail: "",
                    score: score, duration: Date().timeIntervalSince(started), startedAt: started, testLogPath: logs)
            } catch {
                return AttemptRecord(
                    instanceID: task.instanceID, attempt: item.attempt, model: model, patch: patch, exitStatus: nil,
                    detail: "grading failed: \(ErrorText.sentence(for: error))", score: nil, duration: Date().timeIntervalSince(started), startedAt: started)
            }
        }
        guard case .agent(let saved, _) = settings.mode else {
            preconditionFailure("an evaluation runs the agent or grades predictions")
        }
        var modelConfiguration = saved
        let failed = { (status: ExitStatus, detail: String) in
            AttemptRecord(
                instanceID: task.instanceID, attempt: item.attempt, model: modelConfiguration.spec.description, patch: "", exitStatus: status,
                detail: detail, score: nil, duration: Date().timeIntervalSince(started), startedAt: started)
        }
        let model: any ChatModel
        do {
            if let startedModel { modelConfiguration = try startedModel.get() }
            model = try ModelRegistry.standard.model(modelConfiguration, for: ModelContext(task: task))
        } catch {
            return failed(.modelError, ErrorText.sentence(for: error))
        }
        do {
            var record = try await runner.run(task, model: model, attempt: item.attempt, attempts: settings.attempts)
            record.startedAt = started
            return record
        } catch {
            return failed(.infrastructureError, ErrorText.sentence(for: error))
        }
    }
}

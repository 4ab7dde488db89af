import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopWorkspace

/// Everything that defines an evaluation run, as `config.json` keeps it, so that
/// `--resume` and `merge` see the same run the first invocation started.
public struct EvaluationSettings: Sendable {
    /// Where attempts' patches come from.
    public enum Mode: Sendable {
        /// The agent, with this model and these per-attempt budgets (`patchloop eval`).
        case agent(ModelConfiguration, AgentSettings)
        /// A predictions file, or `gold` for the tasks' own patches (`patchloop score`).
        case predictions(path: String)
    }

    public var runID: String
    public var outputDirectory: String
    /// The task folders named on the command line, as absolute paths.
    public var taskSources: [String]
    /// Every instance of the task set, before sharding.
    public var instanceIDs: [String]
    public var attempts: Int
    public var shard: Shard?
    public var mode: Mode
    public var totalBudget: TotalBudget
    public var sandboxRoot: String
    public var isolation: CommandIsolation

    public init(
        runID: String, outputDirectory: String, taskSources: [String], instanceIDs: [String], attempts: Int = 1, shard: Shard? = nil,
        mode: Mode, totalBudget: TotalBudget = TotalBudget(), sandboxRoot: String = "Sandboxes", isolation: CommandIsolation = .bubblewrap
    ) {
        self.runID = runID
        self.outputDirectory = URL(fileURLWithPath: outputDirectory).standardizedFileURL.path
        self.taskSources = taskSources.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        self.instanceIDs = instanceIDs.sorted()
        self.attempts = attempts
        self.shard = shard
        self.mode = mode
        self.totalBudget = totalBudget
        self.sandboxRoot = URL(fileURLWithPath: sandboxRoot).standardizedFileURL.path
        self.isolation = isolation
    }

    /// This run's instances: the shard's slice, or all.
    public var selectedInstanceIDs: [String] { shard?.select(instanceIDs) ?? instanceIDs }

    public var kind: String {
        if case .agent = mode { return "eval" }
        return "score"
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "kind": .string(kind), "run_id": .string(runID), "output_directory": .string(outputDirectory),
            "tasks": .array(taskSources.map { .string($0) }), "instance_ids": .array(instanceIDs.map { .string($0) }),
            "attempts": .number(Double(attempts)),
            "shard": shard.map { ["index": .number(Double($0.index)), "count": .number(Double($0.count))] } ?? .null,
            "max_total_cost": totalBudget.maxCost.map { .number($0) } ?? .null,
            "max_total_tokens": totalBudget.maxTokens.map { .number(Double($0)) } ?? .null,
            "sandbox_root": .string(sandboxRoot), "isolation": .string(isolation == .bubblewrap ? "bubblewrap" : "none"),
            "patchloop_version": .string(PatchloopVersion.current),
        ]
        switch mode {
        case .agent(let model, let agent):
            object["model"] = [
                "spec": .string(model.spec.description), "base_url": model.baseURL.map { .string($0) } ?? .null, "stream": .bool(model.stream),
                "tool_mode": model.toolMode.map { .string($0.rawValue) } ?? .null, "max_retries": .number(Double(model.maxRetries)),
                "idle_timeout": .number(model.idleTimeout), "prices": model.pricesFile.map { .string($0) } ?? .null,
            ]
            object["agent"] = agent.json
        case .predictions(let path):
            object["predictions"] = .string(path)
        }
        return .object(object)
    }

    /// Reads `config.json` back (for `--resume` and `merge`).
    public init(json document: JSONValue, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func fail(_ what: String) -> RunDirectoryError { RunDirectoryError("config.json: \(what) (is this a Patchloop eval or score run directory?)") }
        guard let runID = document["run_id"]?.stringValue, let output = document["output_directory"]?.stringValue,
            let kind = document["kind"]?.stringValue, let ids = document["instance_ids"]?.arrayValue?.compactMap(\.stringValue),
            let attempts = document["attempts"]?.intValue
        else { throw fail("run_id, kind, output_directory, instance_ids or attempts is missing") }
        if let problem = SafeName.problem(with: runID) { throw fail("run_id '\(runID)' \(problem)") }
        if let bad = ids.first(where: { !SafeName.isSafe($0) }) { throw fail("instance id '\(bad)' \(SafeName.problem(with: bad) ?? "")") }
        var shard: Shard?
        if let index = document["shard"]?["index"]?.intValue, let count = document["shard"]?["count"]?.intValue {
            shard = try Shard(index: index, count: count)
        }
        let mode: Mode
        if kind == "eval" {
            guard let model = document["model"], let specText = model["spec"]?.stringValue else { throw fail("model.spec is missing") }
            var configuration = ModelConfiguration(
                spec: try ModelSpec(specText), baseURL: model["base_url"]?.stringValue, stream: model["stream"]?.boolValue ?? true,
                toolMode: model["tool_mode"]?.stringValue.flatMap(ToolMode.init(rawValue:)), maxRetries: model["max_retries"]?.intValue ?? 2,
                idleTimeout: model["idle_timeout"]?.doubleValue ?? 120, pricesFile: model["prices"]?.stringValue)
            configuration.environment = environment
            let agent = document["agent"]
            let budget = agent?["budget"]
            let settings = AgentSettings(
                budget: Budget(
                    maxSteps: budget?["max_steps"]?.intValue, maxSeconds: budget?["max_seconds"]?.doubleValue,
                    maxTokens: budget?["max_tokens"]?.intValue, maxCost: budget?["max_cost"]?.doubleValue),
                stopWhenTestsPass: agent?["stop_when_tests_pass"]?.boolValue ?? true,
                temperature: agent?["temperature"]?.doubleValue,
                context: ContextSettings(json: agent?["context"], fallback: .defaults(forModel: specText)))
            mode = .agent(configuration, settings)
        } else {
            guard let predictions = document["predictions"]?.stringValue else { throw fail("predictions is missing") }
            mode = .predictions(path: predictions)
        }
        self.init(
            runID: runID, outputDirectory: output, taskSources: document["tasks"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            instanceIDs: ids, attempts: attempts, shard: shard, mode: mode,
            totalBudget: TotalBudget(maxCost: document["max_total_cost"]?.doubleValue, maxTokens: document["max_total_tokens"]?.intValue),
            sandboxRoot: document["sandbox_root"]?.stringValue ?? "Sandboxes",
            isolation: document["isolation"]?.stringValue == "none" ? .none : .bubblewrap)
    }

    /// Reads the settings of the run in `directory`.
    public static func load(runDirectory directory: String) throws -> EvaluationSettings {
        let run = RunDirectory(directory)
        guard let data = FileManager.default.contents(atPath: run.configPath) else {
            throw RunDirectoryError("\(directory) is not a run directory: it has no config.json")
        }
        let document: JSONValue
        do { document = try JSONValue.parse(data) } catch { throw RunDirectoryError("\(run.configPath) is not valid JSON (\(error))") }
        return try EvaluationSettings(json: document)
    }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopWorkspace

/// Everything that defines an evaluation run, as `config.json` keeps it, so that
/// `--resume` and `merge` see the same run the first invocation started.
public struct EvaluationSettings: Sendable, Codable {
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
    /// The shards' run directories, for a run `merge` made.
    public var mergedFrom: [String] = []

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

    /// The version of `config.json`'s shape this Patchloop writes.
    public static let formatVersion = 2

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", kind, runID = "run_id", outputDirectory = "output_directory", tasks
        case instanceIDs = "instance_ids", attempts, shard, maxTotalCost = "max_total_cost", maxTotalTokens = "max_total_tokens"
        case sandboxRoot = "sandbox_root", isolation, version = "patchloop_version", model, agent, predictions, mergedFrom = "merged_from"
    }

    enum ShardKeys: String, CodingKey { case index, count }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(EvaluationSettings.formatVersion, forKey: .formatVersion)
        try container.encode(kind, forKey: .kind)
        try container.encode(runID, forKey: .runID)
        try container.encode(outputDirectory, forKey: .outputDirectory)
        try container.encode(taskSources, forKey: .tasks)
        try container.encode(instanceIDs, forKey: .instanceIDs)
        try container.encode(attempts, forKey: .attempts)
        if let shard {
            var nested = container.nestedContainer(keyedBy: ShardKeys.self, forKey: .shard)
            try nested.encode(shard.index, forKey: .index)
            try nested.encode(shard.count, forKey: .count)
        } else {
            try container.encodeNil(forKey: .shard)
        }
        try container.encode(totalBudget.maxCost, forKey: .maxTotalCost)
        try container.encode(totalBudget.maxTokens, forKey: .maxTotalTokens)
        try container.encode(sandboxRoot, forKey: .sandboxRoot)
        try container.encode(isolation == .bubblewrap ? "bubblewrap" : "none", forKey: .isolation)
        try container.encode(PatchloopVersion.current, forKey: .version)
        if !mergedFrom.isEmpty { try container.encode(mergedFrom, forKey: .mergedFrom) }
        switch mode {
        case .agent(let model, let agent):
            try container.encode(model, forKey: .model)
            try container.encode(agent, forKey: .agent)
        case .predictions(let path):
            try container.encode(path, forKey: .predictions)
        }
    }

    /// Reads `config.json` back (for `--resume` and `merge`). The file may have been edited
    /// by hand or come from elsewhere: ids and the run id are checked as at the start.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decodeIfPresent(Int.self, forKey: .formatVersion) ?? 1
        guard version <= EvaluationSettings.formatVersion else {
            throw RunDirectoryError(
                "config.json is in format \(version), and this Patchloop reads formats up to \(EvaluationSettings.formatVersion): use the Patchloop that wrote it, or a newer one")
        }
        let runID = try container.decode(String.self, forKey: .runID)
        if let problem = SafeName.problem(with: runID) { throw RunDirectoryError("config.json: run_id '\(runID)' \(problem)") }
        let ids = try container.decode([String].self, forKey: .instanceIDs)
        if let bad = ids.first(where: { !SafeName.isSafe($0) }) {
            throw RunDirectoryError("config.json: instance id '\(bad)' \(SafeName.problem(with: bad) ?? "")")
        }
        var shard: Shard?
        if (try? container.decodeNil(forKey: .shard)) == false, container.contains(.shard) {
            let nested = try container.nestedContainer(keyedBy: ShardKeys.self, forKey: .shard)
            shard = try Shard(index: try nested.decode(Int.self, forKey: .index), count: try nested.decode(Int.self, forKey: .count))
        }
        let mode: Mode
        switch try container.decode(String.self, forKey: .kind) {
        case "eval":
            let model = try container.decode(ModelConfiguration.self, forKey: .model)
            let agent = try container.decodeIfPresent(AgentSettings.self, forKey: .agent)
            mode = .agent(model, agent ?? AgentSettings(context: .defaults(forModel: model.spec.description)))
        case "score":
            mode = .predictions(path: try container.decode(String.self, forKey: .predictions))
        case let other:
            throw RunDirectoryError("config.json: kind '\(other)' is neither eval nor score")
        }
        self.init(
            runID: runID, outputDirectory: try container.decode(String.self, forKey: .outputDirectory),
            taskSources: try container.decodeIfPresent([String].self, forKey: .tasks) ?? [], instanceIDs: ids,
            attempts: try container.decode(Int.self, forKey: .attempts), shard: shard, mode: mode,
            totalBudget: TotalBudget(
                maxCost: try container.decodeIfPresent(Double.self, forKey: .maxTotalCost),
                maxTokens: try container.decodeIfPresent(Int.self, forKey: .maxTotalTokens)),
            sandboxRoot: try container.decodeIfPresent(String.self, forKey: .sandboxRoot) ?? "Sandboxes",
            isolation: try container.decodeIfPresent(String.self, forKey: .isolation) == "none" ? .none : .bubblewrap)
        mergedFrom = try container.decodeIfPresent([String].self, forKey: .mergedFrom) ?? []
    }

    /// `config.json`'s text.
    public func fileText() throws -> String {
        try RunFileCoding.encodePretty(self) + "\n"
    }

    /// Reads the settings of the run in `directory`.
    public static func load(runDirectory directory: String) throws -> EvaluationSettings {
        let run = RunDirectory(directory)
        guard let data = FileManager.default.contents(atPath: run.configPath) else {
            throw RunDirectoryError("\(directory) is not a run directory: it has no config.json")
        }
        do {
            return try RunFileCoding.decode(EvaluationSettings.self, from: data)
        } catch let error as RunDirectoryError {
            throw error
        } catch let error as DecodingError {
            throw RunDirectoryError("\(run.configPath) cannot be read: \(RunFileCoding.sentence(for: error)) (is this a Patchloop eval or score run directory?)")
        } catch {
            throw RunDirectoryError("\(run.configPath) cannot be read: \(ErrorText.sentence(for: error))")
        }
    }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace

/// Small function-level tasks (HumanEval's shape) for evaluation tests: cheap to run.
enum EvaluationFixtures {
    /// The real interpreter behind `python3` (a version manager's shim costs 0.4 s a start).
    static let python: String = {
        let outcome = try? ProcessRunner().runSynchronously(
            ProcessSpec(executable: "python3", arguments: ["-c", "import sys; print(sys.executable)"], timeout: 30))
        let path = outcome?.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return path.isEmpty ? "python3" : path
    }()

    /// `count` tasks `fixture__add-<n>` in `directory/tasks`: add n to a number.
    static func tasks(_ count: Int, in directory: TemporaryDirectory) async throws -> String {
        let rows: [JSONValue] = (0..<count).map { n in
            [
                "task_id": .string("Fixture/\(n)"), "entry_point": "add",
                "prompt": .string("def add(x):\n    \"\"\"Return x + \(n).\"\"\"\n"),
                "canonical_solution": .string("    return x + \(n)\n"),
                "test": .string("def check(candidate):\n    assert candidate(1) == \(1 + n)\n"),
            ]
        }
        let file = directory.path + "/fixtures.jsonl"
        try rows.map { $0.encoded() }.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let tasks = try await FunctionTaskImporter.humanEval(from: file, python: python)
        try TaskWriter.write(tasks, to: directory.path + "/tasks")
        return directory.path + "/tasks"
    }

    static func settings(
        _ directory: TemporaryDirectory, tasks: [TaskInstance], source: String, name: String = "run", mode: EvaluationSettings.Mode,
        attempts: Int = 1, shard: Shard? = nil, budget: TotalBudget = TotalBudget()
    ) -> EvaluationSettings {
        EvaluationSettings(
            runID: name, outputDirectory: directory.path + "/" + name, taskSources: [source], instanceIDs: tasks.map(\.instanceID),
            attempts: attempts, shard: shard, mode: mode, totalBudget: budget, sandboxRoot: directory.path + "/Sandboxes")
    }

    static func agent(_ spec: String) throws -> EvaluationSettings.Mode {
        .agent(ModelConfiguration(spec: try ModelSpec(spec)), AgentSettings(budget: Budget(maxSteps: 20, maxSeconds: nil)))
    }

    /// A summary without what differs between two runs of the same work (timings).
    static func comparable(_ summary: RunSummary.Document) throws -> JSONValue {
        try comparable(RunFileCoding.jsonValue(summary))
    }

    static func comparable(_ summary: JSONValue) -> JSONValue {
        guard var object = summary.objectValue else { return summary }
        object["time"] = nil
        if let perInstance = object["per_instance"]?.objectValue {
            object["per_instance"] = .object(perInstance.mapValues { entry in
                var entry = entry.objectValue ?? [:]
                entry["duration"] = nil
                return .object(entry)
            })
        }
        return .object(object)
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}

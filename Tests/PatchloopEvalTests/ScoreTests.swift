import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import Testing

@Suite("score: grading any agent's predictions")
struct ScoreTests {
    /// Gold for task 0, empty for 1, null for 2, nothing for 3, garbage for 4.
    static func predictions(_ tasks: [TaskInstance]) -> [JSONValue] {
        let byID = Dictionary(uniqueKeysWithValues: tasks.map { ($0.instanceID, $0) })
        return [
            ["instance_id": "openai__humaneval-0", "model_name_or_path": "org/model", "model_patch": .string(byID["openai__humaneval-0"]?.goldPatch ?? "")],
            ["instance_id": "openai__humaneval-1", "model_name_or_path": "org/model", "model_patch": ""],
            ["instance_id": "openai__humaneval-2", "model_name_or_path": "org/model", "model_patch": nil],
            ["instance_id": "openai__humaneval-4", "model_name_or_path": "org/model", "model_patch": "diff --git a/solution.py b/solution.py\n--- a/solution.py\n+++ b/solution.py\n@@ -1,1 +1,1 @@\n-nothing like this\n+x\n"],
        ]
    }

    @Test("jsonl, json list and json dict give the same grades; empty, null and missing patches count as SWE-bench counts them",
        arguments: ["jsonl", "list", "dict"])
    func formats(_ format: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(5, in: directory)
        let tasks = try TaskStore.load(source)
        let entries = Self.predictions(tasks)
        let file: String
        switch format {
        case "jsonl":
            file = directory.path + "/preds.jsonl"
            try entries.map { $0.encoded() }.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        case "list":
            file = directory.path + "/preds.json"
            try JSONValue.array(entries).encoded().write(toFile: file, atomically: true, encoding: .utf8)
        default:
            file = directory.path + "/preds.json"
            let keyed = Dictionary(uniqueKeysWithValues: entries.map { ($0["instance_id"]?.stringValue ?? "", $0) })
            try JSONValue.object(keyed).encoded().write(toFile: file, atomically: true, encoding: .utf8)
        }
        let settings = EvaluationFixtures.settings(directory, tasks: tasks, source: source, mode: .predictions(path: file))
        let summary = try RunFileCoding.jsonValue(try await EvaluationRunner(settings: settings, tasks: tasks, workers: 2).run().summary)
        #expect(summary["total_instances"] == 5)
        #expect(summary["submitted_instances"] == 4)
        #expect(summary["resolved_ids"] == ["openai__humaneval-0"])
        #expect(summary["unresolved_ids"] == ["openai__humaneval-4"])
        #expect(summary["empty_patch_ids"] == ["openai__humaneval-1", "openai__humaneval-2"])
        #expect(summary["incomplete_ids"] == ["openai__humaneval-3"])
        #expect(summary["completed_ids"] == ["openai__humaneval-0", "openai__humaneval-4"])
        #expect(summary["failure_categories"] == ["resolved": 1, "empty_patch": 2, "patch_apply_error": 1])
        let nullPatch = try JSONValue.parse(try String(contentsOfFile: settings.outputDirectory + "/results/openai__humaneval-2.json", encoding: .utf8))
        #expect(nullPatch["openai__humaneval-2"]?["patch_is_None"] == true)
        #expect(nullPatch["openai__humaneval-2"]?["graded"] == false)
        #expect(nullPatch["openai__humaneval-2"]?["test_log"] == nil, "nothing ran, so no log")
        let failing = settings.outputDirectory + "/logs/openai__humaneval-4"
        #expect(try String(contentsOfFile: failing + "/apply_output.txt", encoding: .utf8).contains("git apply"))
        #expect(FileManager.default.fileExists(atPath: settings.outputDirectory + "/logs/openai__humaneval-0/test_output.txt"))
    }

    @Test("predictions for instances outside the task set, or a broken file, are refused with a clear error")
    func badPredictions() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(1, in: directory)
        let tasks = try TaskStore.load(source)
        let file = directory.path + "/preds.jsonl"
        try #"{"instance_id": "django__django-1", "model_name_or_path": "m", "model_patch": ""}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let settings = EvaluationFixtures.settings(directory, tasks: tasks, source: source, mode: .predictions(path: file))
        let unknown = await #expect(throws: TaskImportError.self) { try await EvaluationRunner(settings: settings, tasks: tasks, workers: 1).run() }
        #expect(unknown?.description.contains("django__django-1") == true)

        try "{\"instance_id\": \"openai__humaneval-0\"}\n{broken".write(toFile: file, atomically: true, encoding: .utf8)
        let broken = #expect(throws: TaskImportError.self) { try PredictionsFile.load(file) }
        #expect(broken?.description.contains("line 2 is not valid JSON") == true)
    }
}

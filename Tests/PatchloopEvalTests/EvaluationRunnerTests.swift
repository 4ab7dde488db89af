import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Synchronization
import Testing

@Suite("Evaluation runs: files, resume, shards, budget")
struct EvaluationRunnerTests {
    @Test("eval writes a result and a prediction per attempt, and a SWE-bench summary with pass@k")
    func evalWritesEverything() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(3, in: directory)
        let tasks = try TaskStore.load(source)
        let settings = EvaluationFixtures.settings(directory, tasks: tasks, source: source, mode: try EvaluationFixtures.agent("scripted:gold"), attempts: 2)
        let finished = Mutex<[String]>([])
        let outcome = try await EvaluationRunner(settings: settings, tasks: tasks, workers: 2) { event in
            if case .finished(let record, _) = event {
                // Written before the event: the result file is already there.
                let file = settings.outputDirectory + "/results/\(record.instanceID).\(record.attempt).json"
                finished.withLock { $0.append(FileManager.default.fileExists(atPath: file) ? "ok" : "missing \(file)") }
            }
        }.run()
        #expect(finished.withLock { $0 } == Array(repeating: "ok", count: 6))
        let run = RunDirectory(settings.outputDirectory)
        let results = try FileManager.default.contentsOfDirectory(atPath: run.resultsDirectory).sorted()
        #expect(results.count == 6)
        #expect(results.first == "openai__humaneval-0.1.json")
        let predictions = try EvaluationFixtures.lines(run.predictionsPath).map { try JSONValue.parse($0) }
        #expect(predictions.count == 6)
        #expect(predictions.allSatisfy { $0["model_name_or_path"] == "scripted:gold" && ($0["model_patch"]?.stringValue?.contains("diff --git") ?? false) })

        let report = try JSONValue.parse(try String(contentsOfFile: run.resultsDirectory + "/openai__humaneval-1.2.json", encoding: .utf8))
        let entry = try #require(report["openai__humaneval-1"])
        #expect(entry["resolved"] == true && entry["patch_exists"] == true && entry["patch_successfully_applied"] == true)
        #expect(entry["tests_status"]?["FAIL_TO_PASS"]?["success"] == ["test_solution.py::test_check"])
        #expect(entry["failure_category"] == "resolved" && entry["attempt"] == 2 && entry["steps"]?.intValue ?? 0 > 0)
        // The graded test run is kept, as SWE-bench's harness keeps it: log, exit status, duration.
        let logs = settings.outputDirectory + "/logs/openai__humaneval-1.2"
        #expect(entry["test_log"]?.stringValue == logs)
        #expect(try String(contentsOfFile: logs + "/test_output.txt", encoding: .utf8).contains("PASSED test_solution.py::test_check"))
        let grading = try JSONValue.parse(try String(contentsOfFile: logs + "/grading.json", encoding: .utf8))
        #expect(grading["exit_code"] == 0 && grading["timed_out"] == false && grading["resolved"] == true)
        #expect((grading["duration"]?.doubleValue ?? 0) > 0 && (grading["log_bytes"]?.intValue ?? 0) > 0 && grading["log_truncated"] == false)

        let summary = try RunFileCoding.jsonValue(outcome.summary)
        #expect(summary["total_instances"] == 3 && summary["resolved_instances"] == 3 && summary["schema_version"] == 2)
        #expect(summary["resolved_ids"] == ["openai__humaneval-0", "openai__humaneval-1", "openai__humaneval-2"])
        #expect(summary["pass_at_k"]?["2"] == 1)
        #expect(summary["attempts"]?["finished"] == 6)
        #expect((summary["tokens"]?["total_tokens"]?.intValue ?? 0) > 0)
        #expect(try JSONValue.parse(try String(contentsOfFile: run.summaryPath, encoding: .utf8)) == summary)
    }

    @Test("resume after a crash: torn, missing and half-written files are redone; nothing is counted twice")
    func resumeRepairs() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(4, in: directory)
        let tasks = try TaskStore.load(source)
        let settings = EvaluationFixtures.settings(directory, tasks: tasks, source: source, mode: try EvaluationFixtures.agent("scripted:gold"))
        let first = try await EvaluationRunner(settings: settings, tasks: tasks, workers: 2).run()

        // What a kill -9 can leave: a missing result, a torn one, a temporary file, a torn
        // predictions line, a worktree never removed, and no summary.
        let run = RunDirectory(settings.outputDirectory)
        try FileManager.default.removeItem(atPath: run.resultsDirectory + "/openai__humaneval-1.json")
        let torn = try String(contentsOfFile: run.resultsDirectory + "/openai__humaneval-2.json", encoding: .utf8)
        try String(torn.prefix(40)).write(toFile: run.resultsDirectory + "/openai__humaneval-2.json", atomically: false, encoding: .utf8)
        try "{".write(toFile: run.resultsDirectory + "/.openai__humaneval-3.json.1234.tmp", atomically: false, encoding: .utf8)
        let handle = try #require(FileHandle(forWritingAtPath: run.predictionsPath))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"instance_id": "openai__humaneval-1", "model_pa"#.utf8))
        try handle.close()
        let manager = SandboxManager(root: settings.sandboxRoot)
        let task = try #require(tasks.first { $0.instanceID == "openai__humaneval-1" })
        guard case .files(let files) = task.source else { return }
        let base = try await manager.baseRepository(forFilesIn: files, name: task.instanceID)
        _ = try await manager.makeSandbox(from: base, group: settings.runID, name: "openai__humaneval-1-1")
        try FileManager.default.removeItem(atPath: run.summaryPath)

        let events = Mutex<[String]>([])
        let resumed = try await EvaluationRunner(settings: try EvaluationSettings.load(runDirectory: run.path), tasks: tasks, workers: 2, resume: true) {
            event in
            switch event {
            case .resumed(let finished, let discarded): events.withLock { $0.append("resumed \(finished) \(discarded)") }
            case .finished(let record, _): events.withLock { $0.append("ran \(record.instanceID)") }
            default: break
            }
        }.run()
        let seen = events.withLock { $0 }
        #expect(seen.first == "resumed 2 [\"openai__humaneval-2.json\"]")
        #expect(Set(seen.dropFirst()) == ["ran openai__humaneval-1", "ran openai__humaneval-2"])
        let predictions = try EvaluationFixtures.lines(run.predictionsPath).map { try JSONValue.parse($0) }
        #expect(predictions.count == 4)
        #expect(Set(predictions.compactMap { $0["instance_id"]?.stringValue }).count == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.resultsDirectory).sorted().count == 4)
        #expect(try EvaluationFixtures.comparable(resumed.summary) == EvaluationFixtures.comparable(first.summary))
    }

    @Test("--shard i/N runs deterministic slices; merged, they give the unsharded run's summary")
    func shardsMerge() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(5, in: directory)
        let tasks = try TaskStore.load(source)
        let mode = EvaluationSettings.Mode.predictions(path: "gold")
        let whole = try await EvaluationRunner(
            settings: EvaluationFixtures.settings(directory, tasks: tasks, source: source, name: "whole", mode: mode), tasks: tasks, workers: 2
        ).run()
        var shardDirectories: [String] = []
        var covered: [String] = []
        for index in 0..<2 {
            let shard = try Shard(index: index, count: 2)
            let settings = EvaluationFixtures.settings(directory, tasks: tasks, source: source, name: "shard\(index)", mode: mode, shard: shard)
            let outcome = try await EvaluationRunner(settings: settings, tasks: tasks, workers: 2).run()
            covered += outcome.records.map(\.instanceID)
            shardDirectories.append(settings.outputDirectory)
        }
        #expect(covered.sorted() == tasks.map(\.instanceID).sorted())
        #expect(try Shard("0/2").select(["c", "a", "b"]) == ["a", "c"])
        let merged = try RunFileCoding.jsonValue(try RunMerger.merge(shardDirectories, into: directory.path + "/merged"))
        #expect(try EvaluationFixtures.comparable(merged) == EvaluationFixtures.comparable(whole.summary))
        #expect(try EvaluationFixtures.lines(directory.path + "/merged/predictions.jsonl").count == 5)

        // Merging only some shards of a split is refused, naming the missing one.
        let error = try #require(throws: RunDirectoryError.self) { try RunMerger.merge([shardDirectories[0]], into: directory.path + "/partial") }
        #expect(error.description.contains("shard 1/2 missing"))
    }

    @Test("the global budget stops new attempts and the summary says so")
    func globalBudget() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(4, in: directory)
        let tasks = try TaskStore.load(source)
        let settings = EvaluationFixtures.settings(
            directory, tasks: tasks, source: source, mode: try EvaluationFixtures.agent("scripted:empty"), budget: TotalBudget(maxTokens: 1))
        let outcome = try await EvaluationRunner(settings: settings, tasks: tasks, workers: 1).run()
        #expect(outcome.records.count == 1)
        #expect(outcome.budgetExhausted?.hasPrefix("tokens") == true)
        #expect((try RunFileCoding.jsonValue(outcome.summary))["budget"]?["exhausted"]?.stringValue?.hasPrefix("tokens") == true)
        #expect((try RunFileCoding.jsonValue(outcome.summary))["budget"]?["not_started_attempts"] == 3)
        #expect((try RunFileCoding.jsonValue(outcome.summary))["incomplete_ids"]?.arrayValue?.count == 3)
        #expect((try RunFileCoding.jsonValue(outcome.summary))["empty_patch_ids"] == ["openai__humaneval-0"])
    }

    @Test("a run directory is never silently reused; resume needs a run directory")
    func badRunDirectories() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(1, in: directory)
        let tasks = try TaskStore.load(source)
        let settings = EvaluationFixtures.settings(directory, tasks: tasks, source: source, mode: .predictions(path: "gold"))
        _ = try await EvaluationRunner(settings: settings, tasks: tasks, workers: 1).run()
        let again = await #expect(throws: RunDirectoryError.self) { try await EvaluationRunner(settings: settings, tasks: tasks, workers: 1).run() }
        #expect(again?.description.contains("--resume") == true)
        let notARun = #expect(throws: RunDirectoryError.self) { try EvaluationSettings.load(runDirectory: directory.path) }
        #expect(notARun?.description.contains("no config.json") == true)
        #expect(throws: ShardError.self) { try Shard("2/2") }
        #expect(throws: ShardError.self) { try Shard("a/b") }
    }
}

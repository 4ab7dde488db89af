import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTesting
import Testing

@Suite("The attempt record")
struct AttemptRecordTests {
    static func record(status: PatchloopAgent.ExitStatus? = .submitted, graded: Bool = true) -> AttemptRecord {
        let score = ScoreReport(
            instanceID: "repo__x-1", patchIsNone: false, patchExists: true, patchSuccessfullyApplied: true, resolved: false, resolution: .no,
            failToPass: ([], ["t::a"]), passToPass: (["t::b"], []), testsTimedOut: false, testExitCode: 1, testDuration: 2, testLog: "",
            applyLog: "", infrastructureFailure: nil)
        return AttemptRecord(
            instanceID: "repo__x-1", attempt: 2, model: "scripted:gold", patch: "diff --git a/f b/f\n", exitStatus: status, detail: "done",
            score: graded ? score : nil, steps: 7, usage: TokenUsage(inputTokens: 100, outputTokens: 20, cachedInputTokens: 5), cost: 0.25,
            duration: 3.5, startedAt: Date(timeIntervalSince1970: 1_700_000_000.125), finishedAt: Date(timeIntervalSince1970: 1_700_000_003.625),
            trajectoryPath: "runs/r/trajectories/repo__x-1.2.jsonl", patchPath: "runs/r/patches/repo__x-1.2.patch")
    }

    @Test("a record survives its file: every field, the typed exit status and category, SWE-bench's keys beside Patchloop's")
    func roundTrip() throws {
        let original = Self.record(status: .budgetExhausted(.steps))
        let text = try original.fileText()
        let read = try AttemptRecord.read(Data(text.utf8))
        #expect(read.instanceID == "repo__x-1" && read.attempt == 2 && read.model == "scripted:gold")
        #expect(read.exitStatus == .budgetExhausted(.steps))
        #expect(read.failure.kind == .budgetExhausted(.steps))
        #expect(read.report == original.report && read.graded && !read.resolved && read.resolution == .no)
        #expect(read.usage == original.usage && read.cost == 0.25 && read.steps == 7 && read.duration == 3.5)
        #expect(read.startedAt == original.startedAt && read.finishedAt == original.finishedAt)
        #expect(read.patchPath == original.patchPath && read.trajectoryPath == original.trajectoryPath && read.sandboxPath == nil)

        // The file is SWE-bench's report.json shape: one key, the instance id.
        let document = try JSONValue.parse(text)
        let entry = try #require(document["repo__x-1"])
        #expect(document.objectValue?.count == 1)
        #expect(entry["patch_successfully_applied"] == true && entry["resolved"] == false)
        #expect(entry["tests_status"]?["FAIL_TO_PASS"]?["failure"] == ["t::a"])
        #expect(entry["exit_status"] == "budget_exhausted:steps" && entry["format_version"] == 2)
        #expect(text.contains("\"attempt\" : 2"), "sorted, indented keys")
    }

    @Test("an ungraded record keeps SWE-bench's keys (not applied, not resolved) and says graded: false")
    func ungraded() throws {
        let text = try Self.record(status: .modelError, graded: false).fileText()
        let read = try AttemptRecord.read(Data(text.utf8))
        #expect(!read.graded && read.report == nil && read.failure.kind == .modelError)
        let entry = try #require(try JSONValue.parse(text)["repo__x-1"])
        #expect(entry["graded"] == false && entry["patch_successfully_applied"] == false && entry["resolved"] == false)
    }

    @Test("a results file of format 1 (before format_version) still loads")
    func formatOneLoads() throws {
        let old = """
            {"django__django-1": {"patch_is_None": false, "patch_exists": true, "patch_successfully_applied": true, "resolved": true,
             "tests_status": {"FAIL_TO_PASS": {"success": ["a"], "failure": []}, "PASS_TO_PASS": {"success": [], "failure": []},
             "FAIL_TO_FAIL": {"success": [], "failure": []}, "PASS_TO_FAIL": {"success": [], "failure": []}},
             "graded": true, "resolution": "RESOLVED_FULL", "attempt": 1, "model_name_or_path": "m", "model_patch": "p",
             "exit_status": "tests_passed", "detail": "", "steps": 3, "tokens": {"input_tokens": 10, "output_tokens": 2,
             "cached_input_tokens": 0}, "total_tokens": 12, "cost": null, "duration": 1.5, "started_at": "2026-11-01T10:00:00.000Z",
             "finished_at": "2026-11-01T10:00:01.500Z", "failure_category": "resolved", "failure_evidence": "1 FAIL_TO_PASS",
             "trajectory": "t.jsonl"}}
            """
        let read = try AttemptRecord.read(Data(old.utf8))
        #expect(read.resolved && read.exitStatus == .testsPassed && read.usage.totalTokens == 12 && read.cost == nil)
        #expect(read.failure.kind == .resolved && read.patchPath == nil)
    }

    @Test("a results file of a later format stops --resume with a clear error and is left in place")
    func laterFormatRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = RunDirectory(directory.path + "/run")
        try run.writeResult(Self.record(), attempts: 2)
        let newer = run.resultsDirectory + "/other-1.json"
        try #"{"other-1": {"format_version": 99, "attempt": 1}}"#.write(toFile: newer, atomically: true, encoding: .utf8)
        let error = try #require(throws: RunDirectoryError.self) { try run.loadRecords() }
        #expect(error.description.contains("format 99") && error.description.contains("other-1.json"))
        #expect(FileManager.default.fileExists(atPath: newer))
    }

    @Test("a torn or foreign results file is discarded (its attempt runs again); a complete one is kept")
    func tornDiscarded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = RunDirectory(directory.path + "/run")
        try run.writeResult(Self.record(), attempts: 2)
        try #"{"y-1": {"attempt": 1, "model_na"#.write(toFile: run.resultsDirectory + "/y-1.json", atomically: true, encoding: .utf8)
        let (records, discarded) = try run.loadRecords()
        #expect(records.map(\.instanceID) == ["repo__x-1"])
        #expect(discarded == ["y-1.json"])
    }

    @Test("a trajectory's result event holds the record; an old event with the fields inline is read too")
    func resultEvent() throws {
        let record = Self.record()
        let event: JSONValue = ["type": "result", "record": try RunFileCoding.jsonValue(record)]
        let read = try #require(AttemptRecord(resultEvent: event))
        #expect(read.exitStatus == .submitted && read.steps == 7 && read.graded)
        let old: JSONValue = [
            "type": "result", "instance_id": "a-1", "attempt": 1, "model": "m", "exit_status": "submitted", "patch": "p", "steps": 2,
            "tokens": ["input_tokens": 3, "output_tokens": 4], "cost": 0.5, "duration": 1,
            "report": ["patch_is_None": false, "patch_exists": true, "patch_successfully_applied": true, "resolved": true,
                "tests_status": ["FAIL_TO_PASS": ["success": ["t"], "failure": []], "PASS_TO_PASS": ["success": [], "failure": []],
                    "FAIL_TO_FAIL": ["success": [], "failure": []], "PASS_TO_FAIL": ["success": [], "failure": []]]],
        ]
        let legacy = try #require(AttemptRecord(resultEvent: old))
        #expect(legacy.resolved && legacy.usage.totalTokens == 7 && legacy.cost == 0.5 && legacy.patch == "p")
        #expect(AttemptRecord(resultEvent: ["type": "result"]) == nil)
    }
}

@Suite("config.json")
struct EvaluationSettingsFileTests {
    static func settings(_ directory: TemporaryDirectory) throws -> EvaluationSettings {
        var agent = AgentSettings(
            budget: Budget(maxSteps: 7, maxSeconds: 90, maxTokens: nil, maxCost: 1.5), observationLimit: ObservationLimit(headCharacters: 300, tailCharacters: 200),
            stopWhenTestsPass: false, temperature: 0.7, maxToolCallsPerReply: 3)
        agent.context.keepObservations = nil
        var model = ModelConfiguration(spec: try ModelSpec("openai-compatible:qwen"), baseURL: "http://127.0.0.1:9/v1", maxOutputTokens: 512)
        model.toolMode = .text
        return EvaluationSettings(
            runID: "r-1", outputDirectory: directory.path + "/run", taskSources: [directory.path + "/Tasks"], instanceIDs: ["b-1", "a-1"],
            attempts: 2, shard: try Shard(index: 1, count: 3), mode: .agent(model, agent), totalBudget: TotalBudget(maxCost: 4, maxTokens: nil))
    }

    @Test("every setting survives config.json, so --resume runs the attempts the first invocation would have")
    func roundTrip() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = try Self.settings(directory)
        try FileManager.default.createDirectory(atPath: original.outputDirectory, withIntermediateDirectories: true)
        try original.fileText().write(toFile: original.outputDirectory + "/config.json", atomically: true, encoding: .utf8)
        let read = try EvaluationSettings.load(runDirectory: original.outputDirectory)
        #expect(read.runID == "r-1" && read.instanceIDs == ["a-1", "b-1"] && read.attempts == 2 && read.shard == original.shard)
        #expect(read.totalBudget == original.totalBudget && read.taskSources == original.taskSources)
        guard case .agent(let model, let agent) = read.mode else {
            Issue.record("the mode was not read back")
            return
        }
        #expect(model.spec.description == "openai-compatible:qwen" && model.baseURL == "http://127.0.0.1:9/v1" && model.maxOutputTokens == 512)
        #expect(model.toolMode == .text)
        #expect(agent.budget == Budget(maxSteps: 7, maxSeconds: 90, maxTokens: nil, maxCost: 1.5))
        #expect(agent.observationLimit == ObservationLimit(headCharacters: 300, tailCharacters: 200))
        #expect(agent.maxToolCallsPerReply == 3 && agent.temperature == 0.7 && !agent.stopWhenTestsPass)
        #expect(agent.context.keepObservations == nil)
        let text = try original.fileText()
        #expect(!text.contains("environment") && text.contains("\"format_version\" : 2"))
    }

    @Test("a config.json with a field of the wrong type, or a hostile id, is refused with a sentence naming the field")
    func badFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = directory.path + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        var document = try JSONValue.parse(try Self.settings(directory).fileText())
        guard case .object(var object) = document else { return }
        object["attempts"] = "two"
        try JSONValue.object(object).encoded().write(toFile: run + "/config.json", atomically: true, encoding: .utf8)
        let typed = try #require(throws: RunDirectoryError.self) { try EvaluationSettings.load(runDirectory: run) }
        #expect(typed.description.contains("attempts has the wrong type (expected a number)"))

        object["attempts"] = 2
        object["instance_ids"] = ["../../etc"]
        document = .object(object)
        try document.encoded().write(toFile: run + "/config.json", atomically: true, encoding: .utf8)
        let hostile = try #require(throws: RunDirectoryError.self) { try EvaluationSettings.load(runDirectory: run) }
        #expect(hostile.description.contains("instance id '../../etc'"))
    }
}

@Suite("The run summary's SWE-bench semantics")
struct RunSummarySemanticsTests {
    static func record(_ id: String, patch: String, status: PatchloopAgent.ExitStatus, graded: Bool) -> AttemptRecord {
        var record = AttemptRecordTests.record(status: status, graded: graded)
        record.instanceID = id
        record.attempt = 1
        record.patch = patch
        return record
    }

    @Test("an attempt with an empty patch is an empty-patch instance whatever ended it, never completed nor error (make_run_report)")
    func emptyPatchWhateverEndedIt() {
        let records = [
            Self.record("a__model-1", patch: "", status: .modelError, graded: false),
            Self.record("a__format-1", patch: "", status: .formatError, graded: true),
            Self.record("a__infra-1", patch: "", status: .infrastructureError, graded: false),
            Self.record("a__done-1", patch: "diff --git a/f b/f\n", status: .submitted, graded: true),
            Self.record("a__broke-1", patch: "diff --git a/f b/f\n", status: .modelError, graded: false),
        ]
        let ids = records.map(\.instanceID) + ["a__missing-1"]
        let document = RunSummary(
            instanceIDs: ids, attemptsPerInstance: 1, records: records, model: "local:smollm2-135m", budget: TotalBudget(), budgetExhausted: nil
        ).document
        #expect(document.emptyPatchIDs == ["a__format-1", "a__infra-1", "a__model-1"])
        #expect(document.completedIDs == ["a__done-1"])
        #expect(document.errorIDs == ["a__broke-1"])
        #expect(document.incompleteIDs == ["a__missing-1"])
        #expect(document.submittedIDs.count == 5)
    }
}

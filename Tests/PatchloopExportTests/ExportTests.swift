import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopExport
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// One run with three scored attempts at the same task: resolved, unresolved, and
/// resolved after a malformed tool call.
struct ExportFixture {
    let directory: TemporaryDirectory
    let runDirectory: String
    let results: [AttemptRecord]

    init() async throws {
        directory = try TemporaryDirectory()
        let task = try TaskFixtures.pythonCalculator(in: directory)
        runDirectory = directory.path + "/run"
        let configuration = RunConfiguration(
            runID: "export-run", outputDirectory: runDirectory, sandboxRoot: directory.path + "/Sandboxes", isolation: .bubblewrap)
        let runner = AttemptRunner(configuration: configuration)
        let gold = PatchReplayModel.turns(for: task.goldPatch)
        let wrong: [ScriptedModel.Turn] = [
            gold[0], .call("edit", ["path": "calc.py", "old_str": "    return a - b", "new_str": "    return a * b"]), .call("submit"),
        ]
        let malformed = [ScriptedModel.Turn(toolCalls: [("edit", "{\"path\": \"calc.py\", ")])] + gold
        var results: [AttemptRecord] = []
        for (index, turns) in [gold, wrong, malformed].enumerated() {
            results.append(try await runner.run(task, model: ScriptedModel(turns: turns), attempt: index + 1, attempts: 3))
        }
        self.results = results
    }

    func export(_ options: ExportOptions) throws -> ExportResult {
        try Exporter(options: options).export(paths: [runDirectory])
    }
}

/// The checks of OpenAI's published chat fine-tuning format validator (the cookbook's
/// "Data preparation and analysis for chat model fine-tuning"), extended to tool calls.
func openAIFormatErrors(_ row: JSONValue) -> [String] {
    var errors: [String] = []
    guard let messages = row["messages"]?.arrayValue, !messages.isEmpty else { return ["missing_messages_list"] }
    var pendingCalls = Set<String>()
    for message in messages {
        guard let object = message.objectValue, let role = object["role"]?.stringValue else { errors.append("message_missing_key"); continue }
        if object.keys.contains(where: { !["role", "content", "name", "tool_calls", "tool_call_id", "weight"].contains($0) }) {
            errors.append("message_unrecognized_key")
        }
        if !["system", "user", "assistant", "tool"].contains(role) { errors.append("unrecognized_role") }
        let content = object["content"]
        let calls = object["tool_calls"]?.arrayValue ?? []
        if (content == nil || content?.isNull == true) && calls.isEmpty { errors.append("missing_content") }
        if let content, !content.isNull, content.stringValue == nil { errors.append("content_not_string") }
        if let weight = object["weight"], role != "assistant" || ![0, 1].contains(weight.intValue ?? -1) { errors.append("bad_weight") }
        for call in calls {
            guard let id = call["id"]?.stringValue, call["type"] == "function", call["function"]?["name"]?.stringValue != nil,
                call["function"]?["arguments"]?.stringValue != nil
            else { errors.append("bad_tool_call"); continue }
            pendingCalls.insert(id)
        }
        if role == "tool" {
            guard let id = object["tool_call_id"]?.stringValue, pendingCalls.remove(id) != nil else { errors.append("tool_result_without_call"); continue }
        }
    }
    if !pendingCalls.isEmpty { errors.append("tool_call_without_result") }
    if !messages.contains(where: { $0["role"] == "assistant" }) { errors.append("example_missing_assistant_message") }
    if let tools = row["tools"]?.arrayValue {
        for tool in tools where tool["type"] != "function" || tool["function"]?["name"] == nil || tool["function"]?["parameters"] == nil {
            errors.append("bad_tool_schema")
        }
    }
    return errors
}

@Suite("Export", .serialized)
struct ExportTests {
    @Test("openai: valid rows with tool calls linked to results, the run's tools, and provenance in the sidecar")
    func openAIFormat() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        #expect(fixture.results.map(\.resolved) == [true, false, true])
        let result = try fixture.export(ExportOptions(format: .openai))
        #expect(result.rows.count == 3)
        let header = try TrajectoryFile(path: try #require(fixture.results[0].trajectoryPath)).header
        for (row, provenance) in zip(result.rows, result.provenance) {
            #expect(openAIFormatErrors(row).isEmpty, "\(openAIFormatErrors(row))")
            #expect(row["tools"] == header?["tools"])
            #expect(row["parallel_tool_calls"] == false)
            #expect(row["metadata"] == nil)
            #expect(provenance["run_id"] == "export-run")
            #expect(provenance["instance_id"] == "fixture__calc-1")
        }
        #expect(result.provenance.map { $0["attempt"]?.intValue } == [1, 2, 3])
        #expect(result.provenance.map { $0["resolved"]?.boolValue } == [true, false, true])
        let first = try #require(result.rows.first?["messages"]?.arrayValue)
        #expect(first[0]["role"] == "system" && first[1]["role"] == "user")
        #expect(first[2]["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?.stringValue == #"{"path":"calc.py"}"#)
        #expect(first[3]["role"] == "tool" && first[3]["tool_call_id"] == first[2]["tool_calls"]?.arrayValue?.first?["id"])

        // Written to a file: rows and a line-aligned sidecar.
        let out = fixture.directory.path + "/out/train.jsonl"
        try ExportWriter.write(result, format: .openai, to: out, sidecar: true)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let meta = try String(contentsOfFile: fixture.directory.path + "/out/train.meta.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && meta.count == 3)
        #expect(try JSONValue.parse(String(lines[1])) == result.rows[1])
    }

    @Test("openai weights: --train-on successful zeroes the malformed call, final keeps only the last turn; --resolved-only and inline metadata")
    func openAIWeightsAndFilters() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        let successful = try fixture.export(ExportOptions(format: .openai, trainOn: .successful))
        let third = try #require(successful.rows.last?["messages"]?.arrayValue)
        let assistantWeights = third.filter { $0["role"] == "assistant" }.map { $0["weight"]?.intValue }
        #expect(assistantWeights.first == 0)
        #expect(assistantWeights.dropFirst().allSatisfy { $0 == 1 })
        let final = try fixture.export(ExportOptions(format: .openai, trainOn: .final))
        let weights = (final.rows.first?["messages"]?.arrayValue ?? []).filter { $0["role"] == "assistant" }.map { $0["weight"]?.intValue }
        #expect(weights.last == 1 && weights.dropLast().allSatisfy { $0 == 0 })

        let resolved = try fixture.export(ExportOptions(format: .openai, resolvedOnly: true, inlineMetadata: true))
        #expect(resolved.rows.count == 2)
        #expect(resolved.rows.allSatisfy { $0["metadata"]?["resolved"] == true })
        #expect(resolved.skipped["not resolved by the scorer"] == 1)
    }

    @Test("trl: tool-call arguments are objects; tool results carry the function name")
    func trlFormat() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        let result = try fixture.export(ExportOptions(format: .trl))
        let messages = try #require(result.rows.first?["messages"]?.arrayValue)
        let call = try #require(messages[2]["tool_calls"]?.arrayValue?.first)
        #expect(call["function"]?["arguments"] == ["path": "calc.py"])
        #expect(messages[3]["role"] == "tool" && messages[3]["name"] == "read_file")
        #expect(result.rows.first?["metadata"]?["attempt"] == 1)
        #expect(result.rows.first?["tools"]?.arrayValue?.count == 5)
        let malformed = try #require(result.rows.last?["messages"]?.arrayValue?[2]["tool_calls"]?.arrayValue?.first)
        #expect(malformed["function"]?["arguments"]?["_unparsed"]?.stringValue?.hasPrefix("{\"path\"") == true)
    }

    @Test("sharegpt: human/observation and gpt/function_call alternate, with system and tools")
    func shareGPTFormat() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        let result = try fixture.export(ExportOptions(format: .sharegpt))
        for row in result.rows {
            let turns = try #require(row["conversations"]?.arrayValue)
            for (index, turn) in turns.enumerated() {
                let from = turn["from"]?.stringValue ?? ""
                if index % 2 == 0 {
                    #expect(["human", "observation"].contains(from), "position \(index): \(from)")
                } else {
                    #expect(["gpt", "function_call"].contains(from), "position \(index): \(from)")
                }
            }
            #expect(row["system"]?.stringValue?.contains("expert software engineer") == true)
            let tools = try JSONValue.parse(try #require(row["tools"]?.stringValue))
            #expect(tools.arrayValue?.map { $0["name"] } == ["read_file", "edit", "search", "run_tests", "submit"])
        }
        let call = try JSONValue.parse(try #require(result.rows.first?["conversations"]?.arrayValue?[1]["value"]?.stringValue))
        #expect(call == ["name": "read_file", "arguments": ["path": "calc.py"]])
    }

    @Test("dpo: each resolved attempt paired with the unresolved one at their first differing turn, in both shapes")
    func preferencePairs() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        let openai = try fixture.export(ExportOptions(format: .dpo, dpoFormat: .openai))
        #expect(openai.rows.count == 2)
        let pair = try #require(openai.rows.first)
        let prompt = try #require(pair["input"]?["messages"]?.arrayValue)
        #expect(prompt.count == 4)  // system, user, the shared read_file call and its result
        #expect(pair["input"]?["tools"]?.arrayValue?.count == 5)
        let preferred = try #require(pair["preferred_output"]?.arrayValue)
        let rejected = try #require(pair["non_preferred_output"]?.arrayValue)
        #expect(preferred.count == 1 && rejected.count == 1)
        #expect(preferred[0]["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?.stringValue?.contains("a + b") == true)
        #expect(rejected[0]["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?.stringValue?.contains("a * b") == true)
        #expect(openai.provenance.first?["chosen"]?["attempt"] == 1)
        #expect(openai.provenance.first?["rejected"]?["attempt"] == 2)

        let trl = try fixture.export(ExportOptions(format: .dpo, dpoFormat: .trl))
        let row = try #require(trl.rows.first)
        #expect(row["prompt"]?.arrayValue?.count == 4)
        #expect(row["chosen"]?.arrayValue?.first?["role"] == "assistant")
        #expect(row["rejected"]?.arrayValue?.first?["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?["new_str"] == "    return a * b")
        // The malformed attempt diverges at its very first reply.
        #expect(trl.rows.last?["prompt"]?.arrayValue?.count == 2)
    }

    @Test("swe-agent: one .traj per attempt with trajectory, history and info")
    func sweAgentFormat() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        let result = try fixture.export(ExportOptions(format: .sweAgent))
        #expect(result.files.map(\.path) == ["fixture__calc-1.1/fixture__calc-1.1.traj", "fixture__calc-1.2/fixture__calc-1.2.traj", "fixture__calc-1.3/fixture__calc-1.3.traj"])
        let document = try #require(result.files.first?.document)
        #expect(document["info"]?["submission"]?.stringValue == fixture.results[0].patch)
        #expect(document["info"]?["exit_status"] == "submitted")
        #expect(document["info"]?["model_stats"]?["api_calls"]?.intValue == fixture.results[0].steps)
        #expect(document["environment"] == "main")
        let steps = try #require(document["trajectory"]?.arrayValue)
        #expect(steps.count == fixture.results[0].steps)
        #expect(steps[0]["observation"]?.stringValue?.contains("def add") == true)
        #expect(steps[1]["query"]?.arrayValue?.count == 4)
        let history = try #require(document["history"]?.arrayValue)
        #expect(history.first?["message_type"] == "system_prompt")
        #expect(history.contains { $0["role"] == "tool" && $0["tool_call_ids"]?.arrayValue?.count == 1 })
        let out = fixture.directory.path + "/traj"
        try ExportWriter.write(result, format: .sweAgent, to: out, sidecar: false)
        #expect(FileManager.default.fileExists(atPath: out + "/fixture__calc-1.2/fixture__calc-1.2.traj"))
    }

    @Test("filters: excluded tasks, --max-tokens, duplicates kept once; a missing run is a clear error")
    func filters() async throws {
        let fixture = try await ExportFixture()
        defer { fixture.directory.remove() }
        let excluded = try fixture.export(ExportOptions(format: .trl, excludedTasks: ["fixture__calc-1"]))
        #expect(excluded.rows.isEmpty && excluded.skipped["excluded task"] == 3)
        let small = try fixture.export(ExportOptions(format: .trl, maxTokens: 50))
        #expect(small.rows.isEmpty && small.skipped["over --max-tokens"] == 3)
        let twice = try Exporter(options: ExportOptions(format: .openai)).export(paths: [fixture.runDirectory, fixture.runDirectory])
        #expect(twice.rows.count == 3 && twice.skipped["duplicate conversation"] == 3)
        #expect(throws: ExportError.self) { try Exporter(options: ExportOptions(format: .openai)).export(paths: [fixture.directory.path + "/nope"]) }
    }
}

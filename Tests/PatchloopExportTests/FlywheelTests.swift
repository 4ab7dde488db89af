import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopExport
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import Testing

@Suite("Flywheel")
struct FlywheelTests {
    @Test("K attempts through a real provider: verified SFT rows, a preference pair, the taxonomy and a dataset card")
    func flywheel() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskFixtures.pythonCalculator(in: directory)
        // Attempt 1 fixes the bug (and stops when the tests pass); attempt 2 makes it worse and submits.
        let gold = Array(PatchReplayModel.turns(for: task.goldPatch).dropLast())
        let wrong: [ScriptedModel.Turn] = [gold[0], .call("edit", ["path": "calc.py", "old_str": "    return a - b", "new_str": "    return a * b"]), .call("submit")]
        let server = try FakeProviderServer(.openAI, turns: gold + wrong)
        defer { server.stop() }
        let model = ModelConfiguration(spec: try ModelSpec("openai-compatible:fake"), baseURL: server.baseURL, environment: [:])
        var agent = AgentSettings(budget: Budget(maxSteps: 10, maxSeconds: nil))
        agent.temperature = 0.7
        let output = directory.path + "/flywheel"
        let flywheel = Flywheel(
            tasks: [task], taskSources: [task.directory ?? ""], model: model, agent: agent, attempts: 2, workers: 1, outputDirectory: output,
            sandboxRoot: directory.path + "/Sandboxes")
        let outcome = try await flywheel.run()

        #expect(outcome.sftRows == 1)
        #expect(outcome.preferencePairs == 1)
        #expect(outcome.statistics.rows.map(\.category) == ["resolved", "test_failure"])
        let sft = try String(contentsOfFile: output + "/sft.openai.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(sft.count == 1)
        let meta = try JSONValue.parse(String(try String(contentsOfFile: output + "/sft.openai.meta.jsonl", encoding: .utf8).split(separator: "\n")[0]))
        #expect(meta["resolved"] == true && meta["attempt"] == 1)
        let pair = try JSONValue.parse(String(try String(contentsOfFile: output + "/dpo.trl.jsonl", encoding: .utf8).split(separator: "\n")[0]))
        #expect(pair["chosen"]?.arrayValue?.first?["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?["new_str"]?.stringValue?.contains("return a + b") == true)
        #expect(pair["rejected"]?.arrayValue?.first?["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?["new_str"] == "    return a * b")
        let card = try String(contentsOfFile: outcome.cardPath, encoding: .utf8)
        #expect(card.contains("| SFT conversations | 1 |"))
        #expect(card.contains("| preference pairs | 1 |"))
        #expect(card.contains("openai-compatible:fake"))
        #expect(card.contains("test_failure"))
        let stats = try JSONValue.parse(try String(contentsOfFile: output + "/stats.json", encoding: .utf8))
        #expect(stats["attempts"] == 2)
        #expect(stats["categories"]?.arrayValue?.first?["rate"]?.doubleValue == 0.5)

        // `patchloop stats` reads the same run.
        let again = try FailureStatistics(runDirectories: [outcome.runDirectory])
        #expect(again.rows.map(\.count) == [1, 1])
        #expect(again.table.contains("resolved"))
        #expect(throws: ExportError.self) { try FailureStatistics(runDirectories: [directory.path]) }
    }
}

import Foundation
import PatchloopHTTP
@testable import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

/// Ten files of about 20 KB each: big observations.
let bigFiles: [String: String] = Dictionary(uniqueKeysWithValues: (0..<10).map { file in
    ("src/module\(file).py", (1...400).map { "value_\(file)_\($0) = compute(\($0), factor=\(file))  # line \($0) of module \(file)\n" }.joined())
})

/// A read of one of the big files, different from its neighbours (no stuck detection).
func bigRead(_ index: Int) -> ScriptedModel.Turn {
    .call("read_file", ["path": .string("src/module\(index % 10).py"), "start_line": .number(Double(index % 3 + 1))])
}

@Suite("Context management")
struct ContextTests {
    func run(
        _ model: any ChatModel, context: ContextSettings, files: [String: String] = bigFiles, maxSteps: Int = 400
    ) async throws -> (AgentOutcome, TrajectoryFile, LoopHarness) {
        let harness = try await LoopHarness(files: files.merging(["a.txt": "alpha\n"]) { $1 })
        let recorder = try TrajectoryRecorder(path: harness.trajectoryPath)
        let agent = Agent(
            model: model, context: ToolContext(worktree: harness.sandbox.path, testSuite: nil, git: harness.sandbox.git), sandbox: harness.sandbox,
            settings: AgentSettings(budget: Budget(maxSteps: maxSteps, maxSeconds: nil), context: context), recorder: recorder)
        let outcome = await agent.run(AgentTask(instanceID: "ctx", repositoryName: "t/ctx", problemStatement: "PROBLEM-STATEMENT-MARKER: fix module 3."))
        return (outcome, try TrajectoryFile(path: harness.trajectoryPath), harness)
    }

    @Test("a 150-step run reading a 20 KB file each step stays inside a 32k-token window and completes")
    func longRunFitsWindow() async throws {
        let turns = (0..<150).map(bigRead) + [.call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"]), .call("submit")]
        let (outcome, trajectory, harness) = try await run(
            ScriptedModel(turns: turns), context: ContextSettings(window: 32_000, summarizer: .digest))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.steps == 152)
        let inputs = trajectory.steps.compactMap { $0["usage"]?["input_tokens"]?.intValue }
        #expect(inputs.count == 152)
        #expect(inputs.max() ?? 0 < 32_000)
        let estimates = trajectory.steps.compactMap { $0["context"]?["estimated_input_tokens"]?.intValue }
        #expect(estimates.max() ?? 0 < 32_000)
        #expect(trajectory.events.contains { $0["type"] == "compaction" && $0["reason"] == "threshold" })
        #expect(trajectory.steps.contains { ($0["context"]?["elided_observations"]?.intValue ?? 0) > 0 })
    }

    @Test("old observations become stubs in batches; the latest are whole")
    func elision() {
        var conversation = Conversation(preamble: [.system("s"), .user("u")])
        let long = String(repeating: "x", count: 1000)
        for step in 0..<9 {
            let call = ToolCall(id: "c\(step)", name: "read_file", arguments: #"{"path": "f\#(step)"}"#)
            conversation.steps.append([.assistant("", toolCalls: [call]), .tool(long, callID: "c\(step)", name: "read_file")])
        }
        let settings = ContextSettings(keepObservations: 3, elisionBatch: 3)
        let view = conversation.view(settings)
        let tools = view.filter { $0.role == .tool }
        // 9 steps, keep 3, batch 3: steps 1-6 elided, 7-9 whole.
        #expect(tools.prefix(6).allSatisfy { $0.content.hasPrefix("[read_file output for") && $0.content.contains("Repeat the call") })
        #expect(tools.suffix(3).allSatisfy { $0.content == long })
        #expect(conversation.elidedCount(settings) == 6)
        // One more step does not move the boundary: the sent prefix stays the same for the cache.
        conversation.steps.append([.assistant("", toolCalls: [ToolCall(id: "c9", name: "read_file", arguments: "{}")]), .tool(long, callID: "c9", name: "read_file")])
        #expect(Array(conversation.view(settings).prefix(view.count)) == view)
        #expect(Conversation(preamble: []).view(.linear).isEmpty)
    }

    @Test("a provider's context-length error triggers compaction and the run goes on; the task and the current diff survive",
        arguments: [FakeProviderServer.WireProtocol.openAI, .anthropic])
    func overflowCompactsAndContinues(wireProtocol: FakeProviderServer.WireProtocol) async throws {
        let turns = [ScriptedModel.Turn.call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"])] + (0..<12).map(bigRead) + [.call("submit")]
        let server = try FakeProviderServer(wireProtocol, turns: turns, contextLimit: 16_000)
        defer { server.stop() }
        // No known window and a linear history: only the provider's error can trigger compaction.
        let context = ContextSettings(window: nil, keepObservations: nil, summarizer: .digest)
        let (outcome, trajectory, harness) = try await run(providerModel(server), context: context)
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted, "\(outcome.detail)")
        #expect(outcome.patch.contains("+omega"))
        let compaction = try #require(trajectory.events.first { $0["type"] == "compaction" })
        #expect(compaction["reason"] == "context_overflow")
        #expect(trajectory.events.contains { $0["type"] == "model_error" && $0["kind"] == "contextTooLong" })
        let last = try JSONValue.parse(try #require(server.requests.last).body).encoded()
        #expect(last.contains("PROBLEM-STATEMENT-MARKER"))
        #expect(last.contains("Summary of your work"))
        #expect(last.contains("diff --git a/a.txt b/a.txt"))
        #expect(server.problems.isEmpty, "\(server.problems)")
    }

    @Test("when even a compacted conversation does not fit, the run ends with context_exhausted and keeps its diff")
    func contextExhausted() async throws {
        let turns = [ScriptedModel.Turn.call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"]), bigRead(0), bigRead(1), .call("submit")]
        let server = try FakeProviderServer(.openAI, turns: turns, contextLimit: 2_500)
        defer { server.stop() }
        let (outcome, trajectory, harness) = try await run(providerModel(server), context: ContextSettings(keepObservations: nil, summarizer: .digest))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .contextExhausted)
        #expect(outcome.exitStatus.description == "context_exhausted")
        #expect(outcome.patch.contains("+omega"))
        #expect(trajectory.events.contains { $0["type"] == "compaction" })
    }

    @Test("the model can write the summary itself; the request is recorded as a summarising one")
    func modelSummary() async throws {
        let turns = (0..<40).map(bigRead) + [.call("submit")]
        let model = SummarisingModel(base: ScriptedModel(turns: turns))
        let (outcome, trajectory, harness) = try await run(model, context: ContextSettings(window: 20_000, summarizer: .model))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        let compaction = try #require(trajectory.events.first { $0["type"] == "compaction" })
        #expect(compaction["by"] == "model")
        #expect(compaction["summary"]?.stringValue?.contains("MODEL-SUMMARY") == true)
        #expect(compaction["summary"]?.stringValue?.contains("Current diff") == true)
    }

    @Test("compaction is off: the run ends with context_exhausted instead")
    func compactionOff() async throws {
        let turns = (0..<12).map(bigRead) + [.call("submit")]
        let server = try FakeProviderServer(.openAI, turns: turns, contextLimit: 12_000)
        defer { server.stop() }
        let (outcome, _, harness) = try await run(providerModel(server), context: ContextSettings(keepObservations: nil, summarizer: .off))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .contextExhausted)
    }

    func providerModel(_ server: FakeProviderServer) -> any ChatModel {
        let endpoint = ProviderEndpoint(baseURL: server.baseURL, apiKey: "k", retry: .none)
        switch server.wireProtocol {
        case .openAI: return OpenAICompatibleModel(identifier: "openai-compatible:fake", modelName: "fake", endpoint: endpoint, pricing: nil)
        case .anthropic: return AnthropicModel(identifier: "anthropic:fake", modelName: "fake", endpoint: endpoint, pricing: nil)
        }
    }
}

/// Answers summarising requests (no tools) with a summary; everything else from the script.
struct SummarisingModel: ChatModel {
    let base: ScriptedModel
    var identifier: String { "summarising" }

    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        if request.tools.isEmpty {
            return ChatResponse(message: .assistant("MODEL-SUMMARY: read the modules."), usage: TokenUsage(inputTokens: 100, outputTokens: 10), finishReason: "stop", latency: 0)
        }
        return try await base.complete(request)
    }
}

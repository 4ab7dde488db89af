import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopHTTP
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import Testing

/// An adapter pointed at a fake provider.
func adapter(_ server: FakeProviderServer, stream: Bool = true, retries: Int = 2, idle: Duration = .seconds(10), key: String? = "sk-test") -> any ChatModel {
    let endpoint = ProviderEndpoint(
        baseURL: server.baseURL, apiKey: key, stream: stream,
        retry: RetryPolicy(maxRetries: retries, baseDelay: .milliseconds(20), maxDelay: .milliseconds(100)), idleTimeout: idle)
    switch server.wireProtocol {
    case .openAI:
        return OpenAICompatibleModel(identifier: "openai-compatible:fake", modelName: "fake", endpoint: endpoint, pricing: PriceTable().price(for: "gpt-4.1-mini"))
    case .anthropic:
        return AnthropicModel(identifier: "anthropic:fake", modelName: "fake", endpoint: endpoint, pricing: PriceTable().price(for: "claude-sonnet-4-5"))
    }
}

@Suite("Providers end to end")
struct ProviderEndToEndTests {
    @Test(
        "the agent solves a bundled task through each provider's protocol, streaming and not",
        arguments: [(FakeProviderServer.WireProtocol.openAI, true), (.openAI, false), (.anthropic, true), (.anthropic, false)])
    func solvesThroughProvider(wireProtocol: FakeProviderServer.WireProtocol, stream: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskFixtures.bundled("patchloop__roman-1")
        let server = try FakeProviderServer(wireProtocol, turns: PatchReplayModel.turns(for: task.goldPatch))
        defer { server.stop() }
        let configuration = RunConfiguration(
            runID: "provider", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes", isolation: .bubblewrap)
        let result = try await AttemptRunner(configuration: configuration).run(task, model: adapter(server, stream: stream))

        #expect(server.problems.isEmpty, "\(server.problems)")
        #expect(result.resolved)
        #expect(result.usage.inputTokens > 0 && result.usage.outputTokens > 0)
        #expect((result.cost ?? 0) > 0)
        let bodies = server.requests.compactMap { try? JSONValue.parse($0.body) }
        #expect(bodies.count == result.steps)
        #expect(bodies.allSatisfy { ($0["stream"]?.boolValue ?? false) == stream })
        if wireProtocol == .anthropic {
            #expect(server.requests.allSatisfy { $0.header("x-api-key") == "sk-test" && $0.header("anthropic-version") == "2023-06-01" })
            #expect(result.usage.cachedInputTokens > 0, "later steps read the earlier prefix from the cache")
        } else {
            #expect(server.requests.allSatisfy { $0.header("authorization") == "Bearer sk-test" })
        }
    }

    @Test("Anthropic requests carry cache breakpoints on the last tool, the system prompt and the two latest user turns")
    func anthropicCacheBreakpoints() async throws {
        let harness = try await ProviderHarness(.anthropic, turns: [
            .call("read_file", ["path": "a.txt"]), .call("read_file", ["path": "b.txt"]), .call("read_file", ["path": "c.txt"]), .call("submit"),
        ])
        defer { harness.remove() }
        _ = try await harness.run()
        let last = try JSONValue.parse(try #require(harness.server.requests.last).body)
        let tools = try #require(last["tools"]?.arrayValue)
        #expect(tools.last?["cache_control"] == ["type": "ephemeral"])
        #expect(tools.dropLast().allSatisfy { $0["cache_control"] == nil })
        #expect(last["system"]?.arrayValue?.first?["cache_control"] == ["type": "ephemeral"])
        let messages = try #require(last["messages"]?.arrayValue)
        let marked = messages.indices.filter { index in
            messages[index]["content"]?.arrayValue?.contains { $0["cache_control"] != nil } == true
        }
        let userIndices = messages.indices.filter { messages[$0]["role"] == "user" }
        #expect(marked == Array(userIndices.suffix(2)))
        #expect(last.encoded().components(separatedBy: "cache_control").count - 1 == 4)
    }
}

/// A small repository, a fake provider and an agent between them.
struct ProviderHarness {
    let loop: LoopHarnessDirectory
    let server: FakeProviderServer
    let model: any ChatModel

    init(_ wireProtocol: FakeProviderServer.WireProtocol, turns: [ScriptedModel.Turn], faults: [Int: FakeProviderServer.Fault] = [:],
        retries: Int = 2, idle: Duration = .seconds(10), stream: Bool = true
    ) async throws {
        loop = try await LoopHarnessDirectory()
        server = try FakeProviderServer(wireProtocol, turns: turns, faults: faults)
        model = adapter(server, stream: stream, retries: retries, idle: idle)
    }

    // The time budget is enforced during calls: 300 s never binds, even in a full parallel suite on a loaded machine.
    func run(budget: Budget = Budget(maxSteps: 20, maxSeconds: 300)) async throws -> (AgentOutcome, TrajectoryFile) {
        try await loop.run(model, budget: budget)
    }

    func remove() {
        server.stop()
        loop.remove()
    }
}

/// A sandbox of a three-file repository.
struct LoopHarnessDirectory {
    let directory: TemporaryDirectory
    let sandbox: Sandbox
    let trajectoryPath: String

    init() async throws {
        directory = try TemporaryDirectory()
        let repository = try await TestRepository.make(in: directory, files: ["a.txt": "alpha\n", "b.txt": "beta\n", "c.txt": "gamma\n"])
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        sandbox = try await manager.makeSandbox(from: try await manager.baseRepository(gitRepository: repository), group: "t", name: "a")
        trajectoryPath = directory.path + "/trajectory.jsonl"
    }

    func run(_ model: any ChatModel, budget: Budget, secrets: [String] = [], testSuite: (any TestSuite)? = nil) async throws -> (AgentOutcome, TrajectoryFile) {
        let redactor = Redactor()
        for secret in secrets { redactor.register(secret) }
        let recorder = try TrajectoryRecorder(path: trajectoryPath, redactor: redactor)
        let agent = Agent(
            model: model, context: ToolContext(worktree: sandbox.path, testSuite: testSuite, git: sandbox.git), sandbox: sandbox,
            settings: AgentSettings(budget: budget), recorder: recorder)
        let outcome = await agent.run(AgentTask(instanceID: "t", repositoryName: "t/t", problemStatement: "Change alpha to omega."))
        return (outcome, try TrajectoryFile(path: trajectoryPath))
    }

    func remove() { directory.remove() }
}

import PatchloopTools
import PatchloopWorkspace

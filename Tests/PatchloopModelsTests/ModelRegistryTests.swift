import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopHTTP
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("Models")
struct ModelRegistryTests {
    @Test("the API key reaches the provider but never the trajectory, the result or a tool's process")
    func keyNeverLeaks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = "sk-patchloop-test-\(UUID().uuidString)"
        setenv("OPENAI_API_KEY", key, 1)
        defer { unsetenv("OPENAI_API_KEY") }
        var task = try TaskFixtures.pythonCalculator(in: directory)
        task.testCommand = "env; python3 -m pytest -rA"
        let server = try FakeProviderServer(.openAI, turns: [.call("run_tests")] + PatchReplayModel.turns(for: task.goldPatch))
        defer { server.stop() }
        let model = try ModelRegistry.standard.model(
            ModelConfiguration(spec: try ModelSpec("openai-compatible:fake"), baseURL: server.baseURL, environment: ProcessInfo.processInfo.environment),
            for: ModelContext(taskName: task.instanceID))
        let configuration = RunConfiguration(
            runID: "secret", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes", isolation: .bubblewrap)
        let result = try await AttemptRunner(configuration: configuration).run(task, model: model)

        #expect(server.requests.first?.header("authorization") == "Bearer \(key)")
        let trajectory = try String(contentsOfFile: try #require(result.trajectoryPath), encoding: .utf8)
        #expect(trajectory.contains("PATH="), "the test command's env output reached the trajectory")
        #expect(!trajectory.contains(key))
        #expect(!trajectory.contains("OPENAI_API_KEY"))
        #expect(!(try result.fileText()).contains(key))
    }

    @Test("missing keys, addresses and unknown providers are clear errors")
    func configurationErrors() throws {
        let empty: [String: String] = [:]
        #expect(throws: ModelSpecError.self) { try ModelRegistry.standard.model(ModelConfiguration(spec: try ModelSpec("openai:gpt-4.1"), environment: empty), for: ModelContext(taskName: "test")) }
        #expect(throws: ModelSpecError.self) { try ModelRegistry.standard.model(ModelConfiguration(spec: try ModelSpec("anthropic:claude-sonnet-4-5"), environment: empty), for: ModelContext(taskName: "test")) }
        do {
            _ = try ModelRegistry.standard.model(ModelConfiguration(spec: try ModelSpec("openai-compatible:qwen"), environment: empty), for: ModelContext(taskName: "test"))
            Issue.record("expected an error")
        } catch let error as ModelSpecError {
            #expect(error.description.contains("--base-url"))
        }
        #expect(throws: ModelSpecError.self) { try ModelSpec("gpt-4") }
        #expect(throws: ModelSpecError.self) { try ModelSpec("bedrock:claude") }
        #expect(throws: ModelSpecError.self) { try ModelSpec("openai:") }
        #expect(try ModelSpec("local").provider == "local")
        let base = try ModelRegistry.standard.model(
            ModelConfiguration(spec: try ModelSpec("openai-compatible:qwen"), environment: ["OPENAI_BASE_URL": "http://127.0.0.1:1/v1"]),
            for: ModelContext(taskName: "test"))
        #expect(base.identifier == "openai-compatible:qwen")
        #expect(base.pricing == nil)
    }

    @Test("scripted:gold replays the patch it is given, and says which task has none")
    func scriptedGoldTakesAPatch() throws {
        let patch = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-old\n+new\n"
        let gold = try ModelRegistry.standard.model(
            ModelConfiguration(spec: try ModelSpec("scripted:gold"), environment: [:]), for: ModelContext(taskName: "t", goldPatch: patch))
        #expect(gold.identifier == "scripted:gold")
        do {
            _ = try ModelRegistry.standard.model(ModelConfiguration(spec: try ModelSpec("scripted:gold"), environment: [:]), for: ModelContext(taskName: "repo-x"))
            Issue.record("expected an error")
        } catch let error as ModelSpecError {
            #expect(error.description.contains("repo-x has none"))
        }
    }

    @Test("a provider registered on a registry is made by it; an unregistered one is a clear error")
    func registration() throws {
        var registry = ModelRegistry()
        registry.register("scripted") { _, _ in ScriptedModel(turns: [.call("submit")], identifier: "mine") }
        #expect(registry.providerNames == ["scripted"])
        let made = try registry.model(ModelConfiguration(spec: try ModelSpec("scripted:x"), environment: [:]), for: ModelContext(taskName: "t"))
        #expect(made.identifier == "mine")
        do {
            _ = try registry.model(ModelConfiguration(spec: try ModelSpec("anthropic:claude"), environment: [:]), for: ModelContext(taskName: "t"))
            Issue.record("expected an error")
        } catch let error as ModelSpecError {
            #expect(error.description.contains("unknown provider 'anthropic'"))
        }
    }

    @Test("the default model follows the environment: Anthropic key, OpenAI key, else local")
    func defaultModel() {
        #expect(ModelConfiguration.defaultSpec(environment: ["ANTHROPIC_API_KEY": "x", "OPENAI_API_KEY": "y"]).provider == "anthropic")
        #expect(ModelConfiguration.defaultSpec(environment: ["OPENAI_API_KEY": "y"]).description == "openai:gpt-4.1-mini")
        #expect(ModelConfiguration.defaultSpec(environment: [:]).provider == "local")
    }

    @Test("prices: built-in list prices, dated snapshots, vendor prefixes, a user file, and unknown models")
    func prices() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var table = PriceTable()
        #expect(table.price(for: "gpt-4.1-mini")?.inputPerMillion == 0.4)
        #expect(table.price(for: "claude-sonnet-4-5-20250929")?.outputPerMillion == 15)
        #expect(table.price(for: "openai/gpt-4o")?.inputPerMillion == 2.5)
        #expect(table.price(for: "my-finetune") == nil)
        try directory.write(["prices.json": #"{"my-finetune": {"input": 1, "output": 2, "cached_input": 0.5}}"#, "bad.json": #"{"x": {"input": "cheap"}}"#])
        try table.merge(file: directory.path + "/prices.json")
        let price = try #require(table.price(for: "my-finetune"))
        #expect(price.cost(of: TokenUsage(inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 500_000)) == 0.25 + 0.5 + 2)
        #expect(throws: ModelError.self) { try table.merge(file: directory.path + "/bad.json") }
        #expect(throws: ModelError.self) { try table.merge(file: directory.path + "/missing.json") }
    }

    @Test("a model without a price counts tokens, reports cost unknown, and a dollar budget cannot end the run")
    func unknownPrice() async throws {
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let turns = (0..<4).map { ScriptedModel.Turn.call("read_file", ["path": .string(["a.txt", "b.txt"][$0 % 2])]) } + [.call("submit")]
        let (outcome, trajectory) = try await loop.run(ScriptedModel(turns: turns, pricing: nil), budget: Budget(maxSteps: 10, maxSeconds: nil, maxCost: 0.000001))
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.cost == nil)
        #expect(outcome.usage.totalTokens > 0)
        #expect(trajectory.header?["cost_known"] == false)
    }

    @Test("the text-action fallback turns fenced blocks into tool calls through a real provider")
    func textActions() async throws {
        let reply = { (name: String, arguments: JSONValue) in
            ScriptedModel.Turn(content: "Next step.\n```tool\n" + JSONValue.object(["name": .string(name), "arguments": arguments]).encoded() + "\n```", toolCalls: [])
        }
        let server = try FakeProviderServer(.openAI, turns: [
            reply("read_file", ["path": "a.txt"]), reply("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"]),
            ScriptedModel.Turn(content: "```tool\n{\"name\": \"read_file\", \"arguments\": {\"path\": \n```", toolCalls: []), reply("submit", [:]),
        ])
        defer { server.stop() }
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let model = TextActionModel(wrapping: adapter(server))
        // No time budget: on a machine loaded by the whole suite four steps can take a minute, and time is not what this tests.
        let (outcome, trajectory) = try await loop.run(model, budget: Budget(maxSteps: 10, maxSeconds: nil))
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.patch.contains("+omega"))
        let first = try JSONValue.parse(try #require(server.requests.first).body)
        #expect(first["tools"] == nil)
        #expect(first["messages"]?.arrayValue?.first?["content"]?.stringValue?.contains("```tool") == true)
        let third = trajectory.steps[2]["observations"]?.arrayValue?.first
        #expect(third?["is_error"] == true)
        #expect(third?["output"]?.stringValue?.contains("not valid JSON") == true)
        let second = try JSONValue.parse(server.requests[1].body)
        #expect(second["messages"]?.arrayValue?.contains { $0["role"] == "user" && ($0["content"]?.stringValue?.hasPrefix("Result of read_file") ?? false) } == true)
    }

    @Test("replay:TRAJECTORY reruns a recorded run's model side to the same patch")
    func replay() async throws {
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let (original, _) = try await loop.run(ScriptedModel(turns: fourTurns), budget: Budget(maxSteps: 10, maxSeconds: nil))
        let recorded = loop.directory.path + "/recorded.jsonl"
        try FileManager.default.copyItem(atPath: loop.trajectoryPath, toPath: recorded)

        let again = try await LoopHarnessDirectory()
        defer { again.remove() }
        let replay = try ModelRegistry.standard.model(ModelConfiguration(spec: try ModelSpec("replay:\(recorded)"), environment: [:]), for: ModelContext(taskName: "test"))
        let (replayed, _) = try await again.run(replay, budget: Budget(maxSteps: 10, maxSeconds: nil))
        #expect(replayed.exitStatus == original.exitStatus)
        #expect(replayed.patch == original.patch)
        #expect(replayed.usage == original.usage)
        #expect(throws: ModelError.self) { try ReplayModel(trajectoryAt: loop.directory.path + "/missing.jsonl") }
    }
}

@Suite("Local model", .serialized)
struct LocalModelTests {
    @Test("the real local model, started on demand, drives the loop to its budget or a submission, with real token counts")
    func realLocalModel() async throws {
        // Started if it is not running, never stopped here: other suites of this process, and
        // a run of the user's, may be using the same server (starting once per run is proven
        // with a stand-in script in LocalModelStartTests).
        let baseURL = try await LocalModel.ensureRunning()
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let model = try ModelRegistry.standard.model(ModelConfiguration(spec: try ModelSpec("local"), baseURL: baseURL, environment: [:]), for: ModelContext(taskName: "test"))
        let (outcome, trajectory) = try await loop.run(model, budget: Budget(maxSteps: 3, maxSeconds: 240))
        #expect([ExitStatus.budgetExhausted(.steps), .submitted, .formatError, .testsPassed, .stuck].contains(outcome.exitStatus), "\(outcome.exitStatus): \(outcome.detail)")
        #expect(trajectory.unreadableLines.isEmpty)
        #expect(trajectory.header?["model"] == "local:smollm2-135m")
        #expect(!trajectory.steps.isEmpty)
        for step in trajectory.steps {
            #expect((step["usage"]?["input_tokens"]?.intValue ?? 0) > 100, "the server reports the prompt's real size")
            #expect((step["usage"]?["output_tokens"]?.intValue ?? 0) > 0)
        }
    }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

/// A sandbox of a small real repository, with an agent ready to run in it.
struct LoopHarness {
    let directory: TemporaryDirectory
    let manager: SandboxManager
    let sandbox: Sandbox
    let trajectoryPath: String

    init(files: [String: String] = ["a.txt": "alpha\n", "b.txt": "beta\n", "c.txt": "gamma\n"]) async throws {
        directory = try TemporaryDirectory()
        let repository = try await TestRepository.make(in: directory, files: files)
        manager = SandboxManager(root: directory.path + "/Sandboxes")
        sandbox = try await manager.makeSandbox(from: try await manager.baseRepository(gitRepository: repository), group: "test", name: "attempt")
        trajectoryPath = directory.path + "/trajectory.jsonl"
    }

    func run(
        _ model: any ChatModel, budget: Budget = Budget(maxSteps: 30, maxSeconds: nil), testSuite: (any TestSuite)? = nil,
        stopWhenTestsPass: Bool = true, secrets: [String] = [], problem: String = "Fix the bug."
    ) async throws -> (AgentOutcome, TrajectoryFile) {
        let redactor = Redactor()
        for secret in secrets { redactor.register(secret) }
        let recorder = try TrajectoryRecorder(path: trajectoryPath, redactor: redactor)
        let agent = Agent(
            model: model, context: ToolContext(worktree: sandbox.path, testSuite: testSuite, git: sandbox.git), sandbox: sandbox,
            settings: AgentSettings(budget: budget, stopWhenTestsPass: stopWhenTestsPass), recorder: recorder)
        let outcome = await agent.run(AgentTask(instanceID: "t-1", repositoryName: "test/repo", problemStatement: problem))
        return (outcome, try TrajectoryFile(path: trajectoryPath))
    }

    func remove() { directory.remove() }
}

/// A model whose provider always fails.
struct FailingModel: ChatModel {
    let identifier = "failing"
    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        throw ModelError(.authentication, "401 Unauthorized: invalid API key")
    }
}

@Suite("Agent loop")
struct AgentLoopTests {
    @Test("the model's submit ends the attempt; every step is in the trajectory")
    func submitEnds() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let model = ScriptedModel(turns: [
            .call("read_file", ["path": "a.txt"]),
            .call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"]),
            .call("submit"),
        ])
        let (outcome, trajectory) = try await harness.run(model)
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.steps == 3)
        #expect(outcome.patch.contains("-alpha\n+omega"))
        #expect(trajectory.unreadableLines.isEmpty)
        #expect(trajectory.header?["format_version"] == 1)
        #expect(trajectory.header?["tools"]?.arrayValue?.count == 5)
        #expect(trajectory.header?["messages"]?.arrayValue?.count == 2)
        #expect(trajectory.steps.count == 3)
        let firstObservation = trajectory.steps[0]["observations"]?.arrayValue?.first
        #expect(firstObservation?["output"]?.stringValue == "1\talpha\n")
        #expect(firstObservation?["tool_call_id"] == trajectory.steps[0]["assistant"]?["tool_calls"]?.arrayValue?.first?["id"])
    }

    @Test("the step budget ends the run with budget_exhausted:steps")
    func stepBudget() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let turns = (0..<10).map { ScriptedModel.Turn.call("read_file", ["path": .string(["a.txt", "b.txt", "c.txt"][$0 % 3])]) }
        let (outcome, trajectory) = try await harness.run(ScriptedModel(turns: turns), budget: Budget(maxSteps: 3, maxSeconds: nil))
        #expect(outcome.exitStatus == .budgetExhausted(.steps))
        #expect(outcome.exitStatus.description == "budget_exhausted:steps")
        #expect(outcome.steps == 3)
        #expect(trajectory.steps.count == 3)
    }

    @Test("the time budget ends the run with budget_exhausted:time")
    func timeBudget() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let turns = (0..<50).map { ScriptedModel.Turn.call("read_file", ["path": .string(["a.txt", "b.txt"][$0 % 2])]) }
        let (outcome, _) = try await harness.run(ScriptedModel(turns: turns, delay: 0.1), budget: Budget(maxSteps: nil, maxSeconds: 0.35))
        #expect(outcome.exitStatus == .budgetExhausted(.time))
        #expect(outcome.steps >= 1 && outcome.steps < 50)
        #expect(outcome.duration >= 0.35)
    }

    @Test("the token budget ends the run with budget_exhausted:tokens")
    func tokenBudget() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let turns = (0..<10).map { ScriptedModel.Turn.call("read_file", ["path": .string(["a.txt", "b.txt"][$0 % 2])]) }
        let (outcome, trajectory) = try await harness.run(ScriptedModel(turns: turns), budget: Budget(maxSteps: nil, maxSeconds: nil, maxTokens: 1200))
        #expect(outcome.exitStatus == .budgetExhausted(.tokens))
        #expect(outcome.steps >= 1 && outcome.steps < 10)
        // The next request's input is estimated before it is sent, so the run stops short of the budget.
        let last = try #require(trajectory.steps.last)
        #expect(outcome.usage.inputTokens + (last["context"]?["estimated_input_tokens"]?.intValue ?? 0) > 1200 - outcome.usage.outputTokens)
        #expect(outcome.usage.totalTokens <= 1200)
    }

    @Test("the dollar budget ends the run with budget_exhausted:cost")
    func costBudget() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let turns = (0..<10).map { ScriptedModel.Turn.call("read_file", ["path": .string(["a.txt", "b.txt"][$0 % 2])]) }
        let pricey = ScriptedModel(turns: turns, pricing: ModelPricing(inputPerMillion: 1000, outputPerMillion: 1000))
        let (outcome, trajectory) = try await harness.run(pricey, budget: Budget(maxSteps: nil, maxSeconds: nil, maxCost: 1.0))
        #expect(outcome.exitStatus == .budgetExhausted(.cost))
        #expect((outcome.cost ?? 0) >= 1.0)
        #expect(trajectory.steps.last?["total_cost"]?.doubleValue == outcome.cost)
    }

    @Test("three malformed calls in a row end the run with format_error; each told the model what was wrong")
    func formatErrors() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let model = ScriptedModel(turns: [
            ScriptedModel.Turn(toolCalls: [("read_file", "{\"path\": ")]),
            ScriptedModel.Turn(toolCalls: [("rm_rf", "{}")]),
            ScriptedModel.Turn(content: "I think the fix is obvious.", toolCalls: []),
            .call("submit"),
        ])
        let (outcome, trajectory) = try await harness.run(model)
        #expect(outcome.exitStatus == .formatError)
        #expect(outcome.steps == 3)
        let outputs = trajectory.steps.compactMap { $0["observations"]?.arrayValue?.first?["output"]?.stringValue }
        #expect(outputs[0].contains("not valid JSON"))
        #expect(outputs[1].contains("unknown tool 'rm_rf'"))
        #expect(trajectory.steps[2]["feedback"]?.stringValue?.contains("no tool call") == true)
    }

    @Test("a good call between malformed ones resets the count")
    func formatErrorsMustBeConsecutive() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let bad = ScriptedModel.Turn(toolCalls: [("nope", "{}")])
        let model = ScriptedModel(turns: [bad, bad, .call("read_file", ["path": "a.txt"]), bad, bad, .call("submit")])
        let (outcome, _) = try await harness.run(model)
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.steps == 6)
    }

    @Test("the same call with the same result a third time gets a warning, a fourth ends the run as stuck")
    func stuckDetection() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let same = ScriptedModel.Turn.call("read_file", ["path": "a.txt"])
        let (outcome, trajectory) = try await harness.run(ScriptedModel(turns: [same, same, same, same, .call("submit")]))
        #expect(outcome.exitStatus == .stuck)
        #expect(outcome.steps == 4)
        let outputs = trajectory.steps.compactMap { $0["observations"]?.arrayValue?.first?["output"]?.stringValue }
        #expect(!outputs[1].contains("Warning"))
        #expect(outputs[2].contains("Warning: this is the third time"))
    }

    @Test("a provider failure ends the run with model_error, not a crash")
    func modelError() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let (outcome, trajectory) = try await harness.run(FailingModel())
        #expect(outcome.exitStatus == .modelError)
        #expect(outcome.detail.contains("401"))
        #expect(trajectory.header != nil)
    }

    @Test("a full passing run_tests after a change ends the run; before any change it does not")
    func stopsWhenTestsPass() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let passing = FixedSuite(report: TestRunReport(passed: ["t"], failed: [], exitCode: 0, timedOut: false, duration: 0.1, output: "ok"))
        let model = ScriptedModel(turns: [
            .call("run_tests"),
            .call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"]),
            .call("run_tests"),
            .call("read_file", ["path": "a.txt"]),
        ])
        let (outcome, _) = try await harness.run(model, testSuite: passing)
        #expect(outcome.exitStatus == .testsPassed)
        #expect(outcome.steps == 3)

        let again = try await LoopHarness()
        defer { again.remove() }
        let keepGoing = ScriptedModel(turns: [
            .call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"]), .call("run_tests"), .call("submit"),
        ])
        let (continued, _) = try await again.run(keepGoing, testSuite: passing, stopWhenTestsPass: false)
        #expect(continued.exitStatus == .submitted)
    }

    @Test("long observations are cut to head and tail with a note")
    func observationTruncation() async throws {
        let harness = try await LoopHarness(files: ["long.txt": String(repeating: "0123456789", count: 190) + "\n"])
        defer { harness.remove() }
        let limit = ObservationLimit(headCharacters: 100, tailCharacters: 50)
        let shortened = limit.apply(to: String(repeating: "a", count: 100) + String(repeating: "b", count: 1000) + String(repeating: "c", count: 50))
        #expect(shortened.text.hasPrefix(String(repeating: "a", count: 100) + "\n[… 1000 characters omitted"))
        #expect(shortened.text.hasSuffix("…]\n" + String(repeating: "c", count: 50)))
        #expect(shortened.omittedCharacters == 1000)
        #expect(ObservationLimit.default.apply(to: "short").text == "short")
    }

    @Test("secrets never reach the trajectory")
    func secretsAreRedacted() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let secret = "sk-live-PATCHLOOP-0123456789abcdef"
        let model = ScriptedModel(turns: [.call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": .string(secret)]), .call("submit")])
        _ = try await harness.run(model, secrets: [secret], problem: "My key \(secret) leaks.")
        let text = try String(contentsOfFile: harness.trajectoryPath, encoding: .utf8)
        #expect(!text.contains(secret))
        #expect(text.contains("[REDACTED]"))
    }
}

/// A test suite that reports a fixed result.
struct FixedSuite: TestSuite {
    var report: TestRunReport
    func run(tests: [String], in worktree: String) async throws -> TestRunReport { report }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

/// A test suite whose every run takes `seconds`.
struct SlowSuite: TestSuite {
    var seconds: Double
    func run(tests: [String], in worktree: String) async throws -> TestRunReport {
        try await Task.sleep(for: .seconds(seconds))
        return TestRunReport(passed: ["t"], failed: [], exitCode: 0, timedOut: false, duration: seconds, output: "1 passed")
    }
}

@Suite("The loop's own limits on what one reply may do")
struct ContainmentLoopTests {
    /// Tool results of the trajectory's steps, in order.
    static func observations(_ trajectory: TrajectoryFile) -> [JSONValue] {
        trajectory.events.filter { $0["type"]?.stringValue == "step" }.flatMap { $0["observations"]?.arrayValue ?? [] }
    }

    @Test("one reply with 40 run_tests calls stops at the time budget: the time is checked before every call")
    func manyCallsUnderTimeBudget() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        // Each call names another test, so the repeat check (same call, same result) never ends it first.
        let reply = ScriptedModel.Turn(toolCalls: (0..<40).map { (name: "run_tests", arguments: #"{"tests": ["t\#($0)"]}"#) })
        let (outcome, trajectory) = try await harness.run(
            ScriptedModel(turns: [reply]), budget: Budget(maxSteps: 5, maxSeconds: 40), testSuite: SlowSuite(seconds: 10), stopWhenTestsPass: false)
        #expect(outcome.exitStatus == .budgetExhausted(.time))
        let observations = Self.observations(trajectory)
        #expect(observations.count == 40, "every call gets a result, run or not")
        let ran = observations.filter { $0["facts"]?["not_run"]?.boolValue != true }.count
        // 40 s of budget and 10 s a run: at most five runs start (the last one is stopped when the
        // budget passes). 40 s leaves room for a machine loaded by the whole parallel suite to reach the first call.
        #expect(ran >= 1 && ran <= 5, "\(ran) calls ran")
    }

    @Test("calls past the per-reply cap are answered 'not run', each with its own result")
    func perReplyCap() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let reply = ScriptedModel.Turn(toolCalls: Array(repeating: (name: "read_file", arguments: #"{"path": "a.txt"}"#), count: 40))
        let (_, trajectory) = try await harness.run(ScriptedModel(turns: [reply, .call("submit")]))
        let observations = Self.observations(trajectory).prefix(40)
        let skipped = observations.filter { $0["facts"]?["not_run"]?.boolValue == true }
        #expect(observations.count == 40)
        #expect(skipped.count == 40 - AgentSettings().maxToolCallsPerReply)
        #expect(skipped.first?["output"]?.stringValue?.contains("at most 16 tool calls") == true)
    }

    @Test("over-large arguments and a 20 MB path are refused with a clear observation, quickly")
    func oversizedArguments() async throws {
        let harness = try await LoopHarness()
        defer { harness.remove() }
        let context = ToolContext(worktree: harness.sandbox.path, testSuite: nil, git: harness.sandbox.git)
        let hugePath = String(repeating: "a/", count: 10 << 20)
        let observation = await Toolbox.standard.run(
            name: "read_file", argumentsJSON: JSONValue.object(["path": .string(hugePath)]).encoded(), context: context)
        #expect(observation.isError)
        #expect(observation.text.contains("at most 1048576"))
        let longPath = String(repeating: "b/", count: 3000)
        let second = await Toolbox.standard.run(
            name: "read_file", argumentsJSON: JSONValue.object(["path": .string(longPath)]).encoded(), context: context)
        #expect(second.text.contains("at most 4096"))
        let git = await Toolbox.standard.run(
            name: "edit", argumentsJSON: #"{"path": ".git", "old_str": "", "new_str": "gitdir: evil\n"}"#, context: context)
        #expect(git.isError)
        #expect(git.text.contains("inside .git"))
    }
}

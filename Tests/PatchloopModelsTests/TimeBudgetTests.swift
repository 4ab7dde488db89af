import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopHTTP
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

/// The time budget measures the attempt's own work: it is enforced during a model call and
/// a tool run (both cancelled when it passes), and it does not run while a request waits for
/// a slot of the model's endpoint.
@Suite("Time budget during calls")
struct TimeBudgetTests {
    /// An OpenAI-compatible adapter for `baseURL` whose own timeouts are far longer than any budget here.
    func patientAdapter(_ baseURL: String) -> OpenAICompatibleModel {
        let endpoint = ProviderEndpoint(
            baseURL: baseURL, apiKey: nil, stream: false, retry: RetryPolicy(maxRetries: 0), idleTimeout: .seconds(600),
            totalTimeout: .seconds(600))
        return OpenAICompatibleModel(identifier: "openai-compatible:slow", modelName: "slow", endpoint: endpoint, pricing: .free)
    }

    @Test("a model call still unanswered when the time budget passes is aborted; the attempt ends budget_exhausted:time with its trajectory")
    func slowServerIsCancelled() async throws {
        // A real HTTP server on 127.0.0.1 that reads the request and does not answer for 300 s.
        let server = try FakeHTTPServer { _ in .noResponse(upTo: .seconds(300)) }
        defer { server.stop() }
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let clock = ContinuousClock()
        let started = clock.now
        let (outcome, trajectory) = try await loop.run(patientAdapter(server.baseURL + "/v1"), budget: Budget(maxSteps: 10, maxSeconds: 30))
        let took = clock.now - started
        #expect(outcome.exitStatus == .budgetExhausted(.time), "\(outcome.exitStatus): \(outcome.detail)")
        #expect(server.requests.count == 1, "the request was sent once and not retried")
        // The server would have answered after 300 s; the idle timeout was 600 s. Only the budget
        // (30 s: room for a machine loaded by the whole suite to send the request) ended it.
        #expect(took < .seconds(120), "the attempt took \(took)")
        let limit = try #require(trajectory.events.first { $0["type"]?.stringValue == "time_limit" })
        #expect(limit["message"]?.stringValue?.contains("cancelled") == true)
        #expect(trajectory.events.first?["type"]?.stringValue == "header")
        // The aborted transfer closed its connection: the server has nothing open once it notices.
        var open = server.openConnectionCount
        for _ in 0..<100 where open > 0 {
            try await Task.sleep(for: .milliseconds(100))
            open = server.openConnectionCount
        }
        #expect(open == 0, "the client closed the connection it abandoned")
    }

    @Test("a test run still going when the time budget passes is killed; the attempt ends budget_exhausted:time")
    func slowToolIsCancelled() async throws {
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let pidFile = loop.directory.path + "/test-run.pid"
        // A real process that would run for 300 s, and says who it is.
        let suite = TaskTestSuite(
            command: "echo $$ > '\(pidFile)'; exec sleep 300", parser: try #require(TestLogParsers.named("pytest")), isolation: .none, timeout: 600)
        let model = ScriptedModel(turns: [.call("run_tests"), .call("submit")])
        // 60 s: room for a machine loaded by the whole suite to start the test run, which would take 300 s.
        let (outcome, trajectory) = try await loop.run(model, budget: Budget(maxSteps: 10, maxSeconds: 60), testSuite: suite)
        #expect(outcome.exitStatus == .budgetExhausted(.time), "\(outcome.exitStatus): \(outcome.detail)")
        let observations = trajectory.events.filter { $0["type"]?.stringValue == "step" }.flatMap { $0["observations"]?.arrayValue ?? [] }
        #expect(observations.count == 1)
        #expect(observations.first?["facts"]?["time_is_up"]?.boolValue == true)
        #expect((observations.first?["duration"]?.doubleValue ?? 999) < 120, "the run was stopped, not waited out")
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0, "the test command's process \(pid) is gone")
    }

    @Test("waiting for the endpoint's one slot does not use the time budget; the wait is recorded")
    func slotWaitIsNotCharged() async throws {
        let server = try FakeProviderServer(.openAI, turns: [.call("read_file", ["path": "a.txt"]), .call("submit")])
        defer { server.stop() }
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let slots = EndpointSlots(limit: 1)
        let model = SlotLimitedModel(wrapping: patientAdapter(server.baseURL), slots: slots)
        // Another worker holds the only slot for 150 s, longer than this attempt's 120 s budget
        // (which leaves a machine loaded by the whole parallel suite room for the attempt's own two steps).
        let holder = Task {
            try await slots.withSlot { try await Task.sleep(for: .seconds(150)) }
        }
        while slots.inUse == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let (outcome, trajectory) = try await loop.run(model, budget: Budget(maxSteps: 10, maxSeconds: 120))
        _ = try await holder.value
        #expect(outcome.exitStatus == .submitted, "\(outcome.exitStatus): \(outcome.detail)")
        let steps = trajectory.events.filter { $0["type"]?.stringValue == "step" }
        let firstWait = try #require(steps.first?["slot_wait"]?.doubleValue)
        #expect(firstWait >= 60, "the first request waited for the slot (\(firstWait) s)")
        // Wall time past the 120 s budget, and still submitted: the wait was not counted.
        #expect(outcome.duration > 120, "the attempt took \(outcome.duration) s of wall time")
        // The step's elapsed time is the attempt's own: the wait is not in it.
        let elapsed = try #require(steps.first?["elapsed"]?.doubleValue)
        #expect(elapsed < firstWait, "elapsed \(elapsed) s, waited \(firstWait) s")
        #expect(outcome.duration >= firstWait, "the recorded duration is wall time, the wait included")
    }

    @Test("the slot wait of a request cut off by the time budget is still left out of the attempt's seconds")
    func spentExcludesWaits() {
        var spent = Budget.Spent()
        spent.started = Date(timeIntervalSinceNow: -100)
        spent.waited = 70
        #expect(abs(spent.seconds - 30) < 5 && spent.wallSeconds >= 100)
        #expect(Budget(maxSteps: nil, maxSeconds: 90).exhausted(by: spent) == nil)
        #expect(Budget(maxSteps: nil, maxSeconds: 20).exhausted(by: spent) == .time)
        #expect(abs((Budget(maxSteps: nil, maxSeconds: 90).secondsLeft(after: spent) ?? 0) - 60) < 5)
    }
}

@Suite("Abandoned requests on a server that finishes them")
struct DrainTests {
    @Test("a request cut off by its time limit keeps the slot until the server has finished it; the drain asks for one token")
    func drainHoldsTheSlot() async throws {
        // Each answer takes 3 s, as a busy llama-cpp-python server computing a long prompt.
        let server = try FakeProviderServer(.openAI, turns: [.call("submit"), .call("submit")], latency: .seconds(3))
        defer { server.stop() }
        let slots = EndpointSlots(limit: 1)
        let model = SlotLimitedModel(wrapping: constrainedAdapter(server, nil), slots: slots, drainsAbandonedRequests: true)
        let request = ChatRequest(messages: [.system("s"), .user("u")], tools: [], maxOutputTokens: 200)
        await #expect(throws: TimeLimitExceeded.self) { try await model.complete(request, timeLimit: 0.5) }
        #expect(slots.inUse == 1, "the slot is still taken while the server finishes the abandoned request")
        // The next request waits for the slot instead of queueing inside the server.
        let (_, waited) = try await slots.withSlot { 0 }
        #expect(waited > 0.5, "waited \(waited) s for the drain")
        let bodies = try server.requests.map { try JSONValue.parse($0.body) }
        #expect(bodies.count == 2)
        #expect(bodies.last?["max_tokens"]?.doubleValue == 1)
        #expect(bodies.last?["messages"] == bodies.first?["messages"], "the drain repeats the request, so the server's kept prompt serves it")
    }
}

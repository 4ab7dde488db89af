import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopHTTP
import PatchloopModels
import PatchloopTesting
import Testing

/// Three reads then submit: the fault lands on one of these requests.
let fourTurns: [ScriptedModel.Turn] = [
    .call("read_file", ["path": "a.txt"]), .call("read_file", ["path": "b.txt"]),
    .call("edit", ["path": "a.txt", "old_str": "alpha", "new_str": "omega"]), .call("submit"),
]

@Suite("Provider faults")
struct FaultInjectionTests {
    func runWithFault(_ wireProtocol: FakeProviderServer.WireProtocol, _ fault: FakeProviderServer.Fault, at request: Int = 2, retries: Int = 2, idle: Duration = .seconds(10))
        async throws -> (AgentOutcome, TrajectoryFile, ProviderHarness)
    {
        let harness = try await ProviderHarness(wireProtocol, turns: fourTurns, faults: [request: fault], retries: retries, idle: idle)
        let (outcome, trajectory) = try await harness.run()
        return (outcome, trajectory, harness)
    }

    /// The retries recorded in the trajectory's steps.
    func recordedRetries(_ trajectory: TrajectoryFile) -> [String] {
        trajectory.steps.flatMap { $0["retries"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    }

    @Test("429 with Retry-After is retried after the asked delay and recorded", arguments: [FakeProviderServer.WireProtocol.openAI, .anthropic])
    func rateLimited(wireProtocol: FakeProviderServer.WireProtocol) async throws {
        let started = Date()
        let (outcome, trajectory, harness) = try await runWithFault(wireProtocol, .status(429, headers: [("Retry-After", "1")]))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.patch.contains("+omega"))
        #expect(Date().timeIntervalSince(started) >= 1.0)
        #expect(recordedRetries(trajectory).contains { $0.contains("HTTP 429") && $0.contains("as the server asked") })
        #expect(harness.server.requests.count == 5)
    }

    @Test("500 then success", arguments: [FakeProviderServer.WireProtocol.openAI, .anthropic])
    func serverError(wireProtocol: FakeProviderServer.WireProtocol) async throws {
        let (outcome, trajectory, harness) = try await runWithFault(wireProtocol, .status(500))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        #expect(recordedRetries(trajectory).contains { $0.contains("HTTP 500") })
    }

    @Test("Anthropic's 529 overloaded then success")
    func overloaded() async throws {
        let body = #"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#
        let (outcome, trajectory, harness) = try await runWithFault(.anthropic, .status(529, body: body))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        #expect(recordedRetries(trajectory).contains { $0.contains("HTTP 529") })
    }

    @Test("a connection reset mid-stream is asked again and recorded", arguments: [FakeProviderServer.WireProtocol.openAI, .anthropic])
    func resetMidStream(wireProtocol: FakeProviderServer.WireProtocol) async throws {
        let (outcome, trajectory, harness) = try await runWithFault(wireProtocol, .resetStream(afterBytes: 400))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.patch.contains("+omega"))
        #expect(recordedRetries(trajectory).contains { $0.contains("stream attempt 1") })
    }

    @Test("a stream that ends without its final marker is asked again", arguments: [FakeProviderServer.WireProtocol.openAI, .anthropic])
    func truncatedStream(wireProtocol: FakeProviderServer.WireProtocol) async throws {
        let (outcome, trajectory, harness) = try await runWithFault(wireProtocol, .truncateStream)
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        let retries = recordedRetries(trajectory)
        #expect(retries.contains { $0.contains("[DONE]") || $0.contains("message_stop") })
    }

    @Test("a stalled stream hits the idle timeout and is asked again")
    func stalledStream() async throws {
        let (outcome, trajectory, harness) = try await runWithFault(.openAI, .stallStream, idle: .milliseconds(500))
        defer { harness.remove() }
        #expect(outcome.exitStatus == .submitted)
        #expect(recordedRetries(trajectory).contains { $0.contains("idle timeout") })
        // The stalled request's own step, not the whole run (which a loaded machine stretches):
        // the stall lasts 60 s, so a step well under that was ended by the idle timeout.
        let latency = trajectory.steps.first { !($0["retries"]?.arrayValue ?? []).isEmpty }?["model_latency"]?.doubleValue
        #expect(latency.map { $0 < 40 } == true, "the idle timeout, not the 60 s stall, ended the first attempt (\(String(describing: latency)) s)")
    }

    @Test("invalid JSON in a tool call's arguments becomes a format-error observation and the run goes on")
    func invalidArguments() async throws {
        let turns: [ScriptedModel.Turn] = [ScriptedModel.Turn(toolCalls: [("read_file", "{\"path\": \"a.txt\"")])] + fourTurns
        let harness = try await ProviderHarness(.openAI, turns: turns)
        defer { harness.remove() }
        let (outcome, trajectory) = try await harness.run()
        #expect(outcome.exitStatus == .submitted)
        let first = trajectory.steps.first?["observations"]?.arrayValue?.first
        #expect(first?["is_error"] == true)
        #expect(first?["output"]?.stringValue?.contains("not valid JSON") == true)
    }

    @Test("401 is a clear error, not retried, and the run ends with model_error", arguments: [FakeProviderServer.WireProtocol.openAI, .anthropic])
    func unauthorized(wireProtocol: FakeProviderServer.WireProtocol) async throws {
        let body = #"{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}"#
        let (outcome, trajectory, harness) = try await runWithFault(wireProtocol, .status(401, body: body), at: 1)
        defer { harness.remove() }
        #expect(outcome.exitStatus == .modelError)
        #expect(outcome.detail.contains("401"))
        #expect(outcome.detail.contains("API key") || outcome.detail.contains("API_KEY"))
        #expect(harness.server.requests.count == 1)
        let event = trajectory.events.first { $0["type"] == "model_error" }
        #expect(event?["kind"] == "authentication")
    }

    @Test("OpenAI's insufficient_quota 429 is final")
    func insufficientQuota() async throws {
        let body = #"{"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}}"#
        let (outcome, _, harness) = try await runWithFault(.openAI, .status(429, body: body), at: 1)
        defer { harness.remove() }
        #expect(outcome.exitStatus == .modelError)
        #expect(outcome.detail.contains("quota"))
        #expect(harness.server.requests.count == 1)
    }

    @Test("when every retry fails the run ends with model_error and the retries are recorded")
    func retriesExhausted() async throws {
        let harness = try await ProviderHarness(.openAI, turns: fourTurns, faults: [1: .status(503), 2: .status(503), 3: .status(503)], retries: 2)
        defer { harness.remove() }
        let (outcome, trajectory) = try await harness.run()
        #expect(outcome.exitStatus == .modelError)
        #expect(outcome.detail.contains("503"))
        let event = trajectory.events.first { $0["type"] == "model_error" }
        #expect(event?["retries"]?.arrayValue?.count == 2)
    }

    @Test("an unreachable server is a clear error")
    func unreachable() async throws {
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let endpoint = ProviderEndpoint(baseURL: "http://127.0.0.1:9/v1", apiKey: nil, retry: .none)
        let model = OpenAICompatibleModel(identifier: "openai-compatible:x", modelName: "x", endpoint: endpoint, pricing: nil)
        let (outcome, _) = try await loop.run(model, budget: Budget(maxSteps: 3, maxSeconds: 30))
        #expect(outcome.exitStatus == .modelError)
        #expect(outcome.detail.contains("could not connect to 127.0.0.1:9"))
        #expect(outcome.detail.contains("--base-url"))
    }
}

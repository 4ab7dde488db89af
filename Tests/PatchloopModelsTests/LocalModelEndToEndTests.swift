import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopTesting
import Testing

/// The real local model (SmolLM2-135M under llama-cpp-python), when `scripts/local-model
/// install` has been run in this checkout; skipped otherwise. Two steps per mechanism:
/// enough to show that every answer is a valid action, few enough to keep `swift test`
/// short on a busy 2-core machine.
@Suite("The real local model, constrained", .enabled(if: FileManager.default.isExecutableFile(atPath: PackageLocation.root + "/.venv/local-model/bin/python")))
struct LocalModelEndToEndTests {
    @Test("every answer of the real local model is a valid action, through json_object and through a GBNF grammar", arguments: [ConstrainedDecoding.jsonObject, .grammar])
    func validActions(mechanism: ConstrainedDecoding) async throws {
        let baseURL = try await LocalModel.ensureRunning()
        let configuration = ModelConfiguration(
            spec: try ModelSpec("local"), baseURL: baseURL, toolMode: .constrained, idleTimeout: 300, maxOutputTokens: 96,
            constraint: mechanism, environment: [:])
        let model = try ModelRegistry.standard.model(configuration, for: ModelContext(taskName: "local"))
        let loop = try await LoopHarnessDirectory()
        defer { loop.remove() }
        let (outcome, trajectory) = try await loop.run(model, budget: Budget(maxSteps: 2, maxSeconds: 600))
        #expect(outcome.exitStatus != .modelError && outcome.exitStatus != .formatError, "\(outcome.detail)")
        let tools = ["read_file", "edit", "search", "run_tests", "submit"]
        for step in trajectory.steps {
            let calls = step["assistant"]?["tool_calls"]?.arrayValue ?? []
            #expect(calls.count == 1, "\(step.encoded().prefix(400))")
            let function = calls.first?["function"]
            #expect(tools.contains(function?["name"]?.stringValue ?? ""), "\(step.encoded().prefix(400))")
            #expect((try? JSONValue.parse(function?["arguments"]?.stringValue ?? ""))?.objectValue != nil)
            #expect(step["tool_mode"]?.stringValue == "constrained:" + mechanism.rawValue)
            let malformed = (step["observations"]?.arrayValue ?? []).filter { $0["facts"]?["format_error"]?.boolValue == true }
            #expect(malformed.isEmpty, "\(malformed)")
        }
    }
}

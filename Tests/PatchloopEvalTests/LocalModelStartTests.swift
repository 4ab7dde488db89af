import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("the local model is started once per run, asynchronously")
struct LocalModelStartTests {
    @Test("eval --model local starts the local model once for the whole run, not once per attempt")
    func startedOncePerRun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(4, in: directory)
        // The server the start script reports: a fake OpenAI-compatible provider.
        let server = try FakeProviderServer(.openAI, turns: [])
        defer { server.stop() }
        let starts = directory.path + "/starts.log"
        let script = directory.path + "/local-model"
        try """
            #!/bin/sh
            echo "$1" >> '\(starts)'
            sleep 1
            echo '\(server.baseURL)'
            """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)

        var environment = ProcessEnvironment.allowListed()
        environment["PATCHLOOP_LOCAL_MODEL_SCRIPT"] = script
        let output = directory.path + "/run"
        let outcome = try await runPatchloop(
            ["eval", source, "--model", "local", "--workers", "2", "--output", output, "--sandboxes", directory.path + "/Sandboxes", "--no-sandbox"],
            in: directory.path, environment: environment)
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput.text)")
        #expect(try EvaluationFixtures.lines(starts) == ["start"], "one start for four attempts")
        let records = try resultFiles(output).map { name in
            try JSONValue.parse(try String(contentsOfFile: output + "/results/" + name, encoding: .utf8))
        }
        #expect(records.count == 4)
        // Every attempt reached the model at the address the start script printed.
        #expect(server.requests.count >= 4)
    }

    @Test("a configuration for another provider, or with an address, is left as it is; the local model without an address is an error")
    func startingLeavesOthersAlone() async throws {
        let hosted = ModelConfiguration(spec: try ModelSpec("openai-compatible:m"), baseURL: "http://127.0.0.1:9/v1", environment: [:])
        #expect(try await hosted.startingLocalModel().baseURL == hosted.baseURL)
        let addressed = ModelConfiguration(spec: try ModelSpec("local"), baseURL: "http://127.0.0.1:9/v1", environment: [:])
        #expect(try await addressed.startingLocalModel().baseURL == "http://127.0.0.1:9/v1")
        #expect(throws: ModelSpecError.self) { try ModelRegistry.standard.model(ModelConfiguration(spec: try ModelSpec("local"), environment: [:]), for: ModelContext(taskName: "test")) }
    }
}

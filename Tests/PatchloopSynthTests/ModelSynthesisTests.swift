import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopSynth
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// A provider on 127.0.0.1 speaking OpenAI's Chat Completions that answers by what the
/// prompt asks (which function, which failure), so that the answer does not depend on the
/// order in which concurrent requests arrive; nil from `reply` is an HTTP 500.
struct RoutedProviderServer {
    let server: FakeHTTPServer

    init(reply: @escaping @Sendable (_ prompt: String) -> String?) throws {
        server = try FakeHTTPServer { request in
            guard request.path == "/v1/chat/completions" else { return .json(#"{"error": {"message": "unknown path"}}"#, status: 404) }
            guard let body = try? JSONValue.parse(request.body), let messages = body["messages"]?.arrayValue else {
                return .json(#"{"error": {"message": "body is not a chat request"}}"#, status: 400)
            }
            let prompt = messages.compactMap { $0["content"]?.stringValue }.joined(separator: "\n")
            guard let content = reply(prompt) else {
                return .json(#"{"error": {"message": "injected failure", "type": "server_error"}}"#, status: 500)
            }
            let usage: JSONValue = ["prompt_tokens": .number(Double(prompt.count / 4)), "completion_tokens": .number(Double(content.count / 4))]
            if body["stream"]?.boolValue == true {
                // As OpenAI streams: the text, the finish reason, then the usage (asked for with stream_options).
                let chunks: [JSONValue] = [
                    ["id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [["index": 0, "delta": ["role": "assistant", "content": .string(content)], "finish_reason": .null]]],
                    ["id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [["index": 0, "delta": [:], "finish_reason": "stop"]]],
                    ["id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [], "usage": usage],
                ]
                return .openAIStream(chunks.map { $0.encoded() })
            }
            let answer: JSONValue = [
                "id": "chatcmpl-1", "object": "chat.completion", "model": "fake",
                "choices": [["index": 0, "message": ["role": "assistant", "content": .string(content)], "finish_reason": "stop"]],
                "usage": usage,
            ]
            return .json(answer.encoded())
        }
    }

    /// The registry's OpenAI-compatible adapter pointed at `baseURL`, with no retries (a 500 fails at once) and a price.
    static func model(baseURL: String, in directory: TemporaryDirectory) throws -> any ChatModel {
        let prices = directory.path + "/prices.json"
        try #"{"fake": {"input": 1, "output": 2}}"#.write(toFile: prices, atomically: true, encoding: .utf8)
        let configuration = ModelConfiguration(
            spec: try ModelSpec("openai-compatible:fake"), baseURL: baseURL + "/v1", stream: false, toolMode: .native, maxRetries: 0,
            pricesFile: prices, environment: [:])
        return try ModelRegistry.standard.model(configuration, for: ModelContext(taskName: "synth"))
    }
}

@Suite("task synthesis with a model: LM rewrites and model-written statements")
struct ModelSynthesisTests {
    /// One worker: the rewrite (validated first) is kept first, whatever the machine's load.
    func request(_ repository: String, in directory: TemporaryDirectory, count: Int, model: any ChatModel) -> SynthRequest {
        SynthRequest(
            repository: repository, testCommand: SynthFixtures.testCommand, parserName: "pytest", count: count,
            outputDirectory: directory.path + "/synth", workers: 1, seed: 7, languages: ["python"], sandboxRoot: directory.path + "/Sandboxes",
            testTimeout: 120, model: model)
    }

    static let breakingClamp = "Here it is:\n\n```python\ndef clamp(value, low, high):\n    return max(low, min(value, high - 1))\n```\n"
    /// wrap_words as written, with other comments and layout.
    static let sameWrapWords = """
        ```python
        def wrap_words(text, width):
            # the same code
            lines, current = [], ''
            for word in text.split(' '):
                if current and len(current) + 1 + len(word) > width:
                    lines.append(current)
                    current = word
                else:
                    current = word if not current else current + ' ' + word
            if current:
                lines.append(current)
            return lines
        ```
        """
    static let goodStatement = "clamp(12, 0, 10) gives 9\n\nCalling clamp(12, 0, 10) should give the upper bound 10, but I get 9 since upgrading."

    func taskDocument(_ id: String, in directory: TemporaryDirectory) throws -> JSONValue {
        try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: directory.path + "/synth/" + id + "/task.json")))
    }

    @Test("a rewrite that breaks a test becomes a valid lm_rewrite task with the model's statement; an identical rewrite and a leaking statement are dropped and counted")
    func rewriteKeptAndStatementUsed() async throws {
        let directory = try TemporaryDirectory(prefix: "synth-model")
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SynthFixtures.files)
        let provider = try RoutedProviderServer { prompt in
            if prompt.contains("Write the body of `clamp`") { return Self.breakingClamp }
            if prompt.contains("Write the body of `wrap_words`") { return Self.sameWrapWords }
            // The rewrite's failure (9 instead of 10) gets an honest report; any other bug a
            // report quoting the whole library, which holds the lines its fix brings back.
            return prompt.contains("9 == 10") ? Self.goodStatement : "It breaks here:\n" + SynthFixtures.library
        }
        defer { provider.server.stop() }
        let model = try RoutedProviderServer.model(baseURL: provider.server.baseURL, in: directory)

        let summary = try await TaskSynthesizer(request: request(repository, in: directory, count: 2, model: model)).run()
        #expect(summary.written.count == 2)
        let rewrite = try #require(summary.written.first { $0.contains(".synth.lm_rewrite.") }, "\(summary.written)")
        let counts = try #require(summary.perOperator["lm_rewrite"])
        #expect(counts.kept == 1)
        #expect(counts.tried == 2, "the kept rewrite and the identical one")
        let usage = try #require(summary.model)
        #expect(usage.rewritesRequested == 2)
        #expect(usage.rewritesIdentical == 1)
        #expect(usage.errors == 0)
        #expect(usage.calls == 4, "two rewrites and two statements")
        #expect(usage.usage.outputTokens > 0 && usage.usage.inputTokens > 0)
        #expect((usage.cost ?? 0) > 0)
        #expect(usage.statementsByModel == 1)
        #expect(usage.statementsLeaking == 1)

        let document = try taskDocument(rewrite, in: directory)
        #expect(document["statement_source"]?.stringValue == "model:openai-compatible:fake")
        #expect(document["problem_statement"]?.stringValue?.contains("gives 9") == true)
        #expect(document["synth"]?["operator"]?.stringValue == "lm_rewrite")
        #expect(document["FAIL_TO_PASS"] == ["tests/test_core.py::test_clamp_high"])
        let other = try #require(summary.written.first { $0 != rewrite })
        let fallback = try taskDocument(other, in: directory)
        #expect(fallback["statement_source"]?.stringValue == ProblemStatementWriter.source, "the leaking statement was replaced")
        #expect(fallback["problem_statement"]?.stringValue?.hasPrefix("Tests fail after a recent change") == true)

        let tasks = try TaskStore.load(directory.path + "/synth")
        let task = try #require(tasks.first { $0.instanceID == rewrite })
        #expect(task.goldPatch.contains("+    if value < low:"), "the gold patch brings the original body back")
        #expect(!ProblemStatementWriter.leaks(task.problemStatement, goldPatch: task.goldPatch))
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let verdict = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(task)
        #expect(verdict.isValid, "\(verdict.problems)")

        let written = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: directory.path + "/synth/synth.json")))
        #expect(written["model"]?["calls"]?.doubleValue == 4)
        #expect(written["model"]?["rewrites"]?["identical"]?.doubleValue == 1)
        #expect(written["per_operator"]?["lm_rewrite"]?["kept"]?.doubleValue == 1)

        // A rerun reads the rewrites back instead of asking again: the same candidates, the tasks found written, no call.
        let requestsBefore = provider.server.requests.count
        let again = try await TaskSynthesizer(request: request(repository, in: directory, count: 2, model: model)).run()
        #expect(again.written.isEmpty)
        #expect(again.alreadyWritten == 2)
        #expect(again.model?.rewritesReplayed == 2)
        #expect(again.model?.calls == 0)
        #expect(provider.server.requests.count == requestsBefore)
        #expect(try TaskStore.load(directory.path + "/synth").count == 2)
    }

    @Test("a rewrite that does not compile and one that adds code outside its function are dropped and counted")
    func badRewritesDropped() async throws {
        let directory = try TemporaryDirectory(prefix: "synth-model")
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SynthFixtures.files)
        let provider = try RoutedProviderServer { prompt in
            if prompt.contains("Write the body of `clamp`") {
                return "```python\ndef clamp(value, low, high):\n    return max(low, min(value, high - 1)\n```"
            }
            if prompt.contains("Write the body of `wrap_words`") {
                return "```python\nimport os\n\n\ndef wrap_words(text, width):\n    return os.sep\n```"
            }
            return Self.goodStatement
        }
        defer { provider.server.stop() }
        let model = try RoutedProviderServer.model(baseURL: provider.server.baseURL, in: directory)

        let summary = try await TaskSynthesizer(request: request(repository, in: directory, count: 1, model: model)).run()
        #expect(summary.written.count == 1, "procedural candidates go on")
        #expect(!summary.written.contains { $0.contains("lm_rewrite") })
        let counts = try #require(summary.perOperator["lm_rewrite"])
        #expect(counts.tried == 2)
        #expect(counts.notCompiling == 1)
        #expect(counts.kept == 0)
        #expect(summary.model?.rewritesOutsideFunction == 1)
        #expect(summary.model?.rewritesIdentical == 0)
    }

    @Test("a model that answers every call with HTTP 500: the run finishes with procedural tasks and counts the errors")
    func serverErrorsCounted() async throws {
        let directory = try TemporaryDirectory(prefix: "synth-model")
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SynthFixtures.files)
        let provider = try RoutedProviderServer { _ in nil }
        defer { provider.server.stop() }
        let model = try RoutedProviderServer.model(baseURL: provider.server.baseURL, in: directory)

        let summary = try await TaskSynthesizer(request: request(repository, in: directory, count: 2, model: model)).run()
        #expect(summary.written.count == 2)
        let usage = try #require(summary.model)
        #expect(usage.errors == 4, "two rewrites and two statements")
        #expect(usage.calls == 0)
        #expect(usage.statementsFailed == 2)
        #expect(summary.perOperator["lm_rewrite"] == nil)
        for id in summary.written {
            #expect(try taskDocument(id, in: directory)["statement_source"]?.stringValue == ProblemStatementWriter.source)
        }
        #expect(provider.server.requests.count == 4)
    }
}

@Suite("reading a model's rewrite")
struct RewriteReplyTests {
    @Test("one fenced Python block is the code; none, two, an unclosed one or another language's is no code")
    func strictCodeBlock() {
        #expect(FunctionRewriter.code(fromReply: "Sure:\n```python\nreturn 1\n```\nDone.") == "return 1\n")
        #expect(FunctionRewriter.code(fromReply: "```\nreturn 1\n```") == "return 1\n")
        #expect(FunctionRewriter.code(fromReply: "return 1") == nil)
        #expect(FunctionRewriter.code(fromReply: "```python\nreturn 1\n```\n```python\nreturn 2\n```") == nil)
        #expect(FunctionRewriter.code(fromReply: "```python\nreturn 1\n") == nil)
        #expect(FunctionRewriter.code(fromReply: "```bash\nrm -rf /\n```") == nil)
        #expect(FunctionRewriter.code(fromReply: "```python\n\n```") == nil)
        #expect(FunctionRewriter.code(fromReply: "```python\n" + String(repeating: "x = 1\n", count: 5000) + "```") == nil)
    }
}

@Suite("patchloop tasks synth --model")
struct SynthModelCommandTests {
    @Test("the command takes --model with --base-url as solve does, and the kept rewrite's statement is the model's")
    func commandLine() async throws {
        let directory = try TemporaryDirectory(prefix: "synth-model")
        defer { directory.remove() }
        let repository = try await TestRepository.make(in: directory, files: SynthFixtures.files)
        let provider = try RoutedProviderServer { prompt in
            if prompt.contains("Write the body of `clamp`") { return ModelSynthesisTests.breakingClamp }
            return ModelSynthesisTests.goodStatement
        }
        defer { provider.server.stop() }
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        let output = directory.path + "/synth"
        let run = try await ProcessRunner().run(
            ProcessSpec(
                executable: executable,
                arguments: [
                    "tasks", "synth", "--repo", repository, "--test-cmd", SynthFixtures.testCommand, "--test-parser", "pytest", "--count", "1",
                    "--workers", "1", "--seed", "7", "--languages", "python", "--rewrites", "1", "--out", output, "--sandboxes",
                    directory.path + "/Sandboxes", "--model", "openai-compatible:fake", "--base-url", provider.server.baseURL + "/v1",
                    "--max-retries", "0",
                ],
                environment: ProcessEnvironment.allowListed(), timeout: 300, mergeStandardError: true))
        #expect(run.exitCode == 0, "\(run.standardOutput.text)")
        #expect(run.standardOutput.text.contains("rewrites: 1 kept of 1 asked"), "\(run.standardOutput.text)")
        let summary = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: output + "/synth.json")))
        #expect(summary["model"]?["calls"]?.doubleValue == 2)
        let id = try #require(summary["written"]?.arrayValue?.first?.stringValue)
        #expect(id.contains(".synth.lm_rewrite."))
        let task = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: output + "/" + id + "/task.json")))
        #expect(task["statement_source"]?.stringValue == "model:openai-compatible:fake")
    }

    @Test("--rewrites without --model is a usage error (exit 2) that names the missing option, and writes nothing")
    func rewritesWithoutModel() async throws {
        let directory = try TemporaryDirectory(prefix: "synth")
        defer { directory.remove() }
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        let output = directory.path + "/synth"
        let run = try await ProcessRunner().run(
            ProcessSpec(
                executable: executable,
                arguments: ["tasks", "synth", "--repo", directory.path, "--test-cmd", "true", "--rewrites", "5", "--out", output],
                environment: ProcessEnvironment.allowListed(), timeout: 120, mergeStandardError: true))
        #expect(run.exitCode == 2, "\(run.standardOutput.text)")
        #expect(run.standardOutput.text.contains("--rewrites asks a model"), "\(run.standardOutput.text)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}

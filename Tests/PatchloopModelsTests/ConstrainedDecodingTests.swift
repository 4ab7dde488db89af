import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopHTTP
import PatchloopModels
import PatchloopTesting
import PatchloopTools
import Testing

/// An OpenAI-compatible adapter that constrains decoding with `mechanism`.
func constrainedAdapter(_ server: FakeProviderServer, _ mechanism: ConstrainedDecoding?, maxOutputTokens: Int? = 384) -> OpenAICompatibleModel {
    let endpoint = ProviderEndpoint(
        baseURL: server.baseURL, apiKey: nil, stream: false,
        retry: RetryPolicy(maxRetries: 0, baseDelay: .milliseconds(20), maxDelay: .milliseconds(100)), idleTimeout: .seconds(10))
    return OpenAICompatibleModel(
        identifier: "openai-compatible:fake", modelName: "fake", endpoint: endpoint, pricing: .free, maxOutputTokens: maxOutputTokens,
        constraint: mechanism)
}

@Suite("Constrained tool calls")
struct ConstrainedDecodingTests {
    func run(_ mechanism: ConstrainedDecoding) async throws -> (AgentOutcome, TrajectoryFile, [JSONValue], FakeProviderServer, LoopHarnessDirectory) {
        let loop = try await LoopHarnessDirectory()
        let server = try FakeProviderServer(.openAI, turns: fourTurns, decoding: mechanism)
        let (outcome, trajectory) = try await loop.run(constrainedAdapter(server, mechanism), budget: Budget(maxSteps: 10, maxSeconds: nil))
        let bodies = try server.requests.map { try JSONValue.parse($0.body) }
        return (outcome, trajectory, bodies, server, loop)
    }

    @Test("each mechanism's stand-in gets a valid-action request and its answer becomes an ordinary tool call", arguments: ConstrainedDecoding.allCases)
    func mechanismEndToEnd(mechanism: ConstrainedDecoding) async throws {
        let (outcome, trajectory, bodies, server, loop) = try await run(mechanism)
        defer {
            server.stop()
            loop.remove()
        }
        #expect(server.problems.isEmpty, "\(server.problems)")
        #expect(outcome.exitStatus == .submitted)
        #expect(outcome.patch.contains("+omega"))
        #expect(bodies.count == 4)

        // Every step recorded an ordinary call, and which mode produced it.
        let steps = trajectory.steps
        #expect(steps.map { $0["assistant"]?["tool_calls"]?.arrayValue?.first?["function"]?["name"]?.stringValue } == ["read_file", "read_file", "edit", "submit"])
        #expect(steps.allSatisfy { $0["tool_mode"]?.stringValue == "constrained:" + mechanism.rawValue })
        #expect(steps.allSatisfy { $0["assistant"]?["content"]?.stringValue == "" || mechanism == .toolChoice })

        let first = bodies[0]
        let last = bodies[3]
        switch mechanism {
        case .jsonObject, .jsonSchema:
            let schema = mechanism == .jsonObject ? first["response_format"]?["schema"] : first["response_format"]?["json_schema"]?["schema"]
            #expect(first["response_format"]?["type"]?.stringValue == mechanism.rawValue)
            let alternatives = try #require(schema?["oneOf"]?.arrayValue)
            #expect(alternatives.compactMap { $0["properties"]?["name"]?["const"]?.stringValue } == ["read_file", "edit", "search", "run_tests", "submit"])
            let readFile = try #require(alternatives.first?["properties"]?["parameters"])
            #expect(readFile["additionalProperties"] == false && readFile["required"] == ["path"])
            #expect(readFile["properties"]?["path"]?["maxLength"]?.intValue == 192, "strings bounded by half of max_tokens 384")
        case .grammar:
            let grammar = try #require(first["grammar"]?.stringValue)
            #expect(grammar.hasPrefix("root ::= action\n") || grammar.hasPrefix("root ::= "))
            #expect(grammar.contains(#"\"name\""#) && grammar.contains(#"\"read_file\""#) && grammar.contains(#"\"old_str\""#))
            #expect(first["response_format"] == nil)
        case .toolChoice:
            #expect(first["tool_choice"] == "required" && first["parallel_tool_calls"] == false)
            let tools = try #require(first["tools"]?.arrayValue)
            #expect(tools.count == 5 && tools.allSatisfy { $0["function"]?["strict"] == true })
            #expect(tools.allSatisfy { $0["function"]?["parameters"]?["additionalProperties"] == false })
        }
        if mechanism == .toolChoice {
            // Native shapes: earlier calls and results travel as tool calls and tool messages.
            #expect(last["messages"]?.arrayValue?.contains { $0["role"] == "tool" } == true)
        } else {
            // No tools and no tool role: the tools are described in the system prompt, earlier
            // calls are the action objects the model wrote, results are user messages.
            #expect(first["tools"] == nil && first["tool_choice"] == nil)
            let messages = try #require(last["messages"]?.arrayValue)
            #expect(messages.allSatisfy { $0["role"] != "tool" && $0["tool_calls"] == nil })
            #expect(messages.first?["content"]?.stringValue?.contains(#"{"name": TOOL, "parameters": {…}}"#) == true)
            #expect(messages.contains { $0["role"] == "assistant" && $0["content"] == #"{"name":"read_file","parameters":{"path":"a.txt"}}"# })
            #expect(messages.contains { $0["role"] == "user" && $0["content"]?.stringValue?.hasPrefix("Result of read_file:\n") == true })
        }
    }

    @Test("a trajectory made in constrained mode records the same calls as one made natively (exports cannot tell them apart)")
    func sameRecordAsNative() async throws {
        let (_, constrained, _, server, loop) = try await run(.jsonObject)
        server.stop()
        loop.remove()
        let nativeLoop = try await LoopHarnessDirectory()
        let nativeServer = try FakeProviderServer(.openAI, turns: fourTurns)
        defer {
            nativeServer.stop()
            nativeLoop.remove()
        }
        let (_, native) = try await nativeLoop.run(constrainedAdapter(nativeServer, nil), budget: Budget(maxSteps: 10, maxSeconds: nil))
        func calls(_ file: TrajectoryFile) -> [String] {
            file.steps.flatMap { step in
                (step["assistant"]?["tool_calls"]?.arrayValue ?? []).map { call in
                    let function = call["function"]
                    let arguments = (try? JSONValue.parse(function?["arguments"]?.stringValue ?? "")) ?? .null
                    return (function?["name"]?.stringValue ?? "") + " " + arguments.encoded()
                }
            }
        }
        #expect(calls(constrained) == calls(native))
        #expect(native.steps.allSatisfy { $0["tool_mode"] == "native" })
    }

    @Test("a server that does not take the mechanism says so, and the attempt ends as a model error that names it")
    func refusedMechanism() async throws {
        let loop = try await LoopHarnessDirectory()
        let server = try FakeProviderServer(.openAI, turns: fourTurns, decoding: .jsonObject)
        defer {
            server.stop()
            loop.remove()
        }
        let (outcome, _) = try await loop.run(constrainedAdapter(server, .jsonSchema), budget: Budget(maxSteps: 10, maxSeconds: nil))
        #expect(outcome.exitStatus == .modelError)
        #expect(outcome.detail.contains("Input should be 'text' or 'json_object'"))
    }

    @Test("a reply that is not an action stays text, and the loop hears of it as a missing tool call")
    func proseIsNotAnAction() {
        #expect(ConstrainedAction.parse("I will read the file.", callID: "c") == nil)
        #expect(ConstrainedAction.parse(#"{"name": "read_file", "parameters": {"path": "a"#, callID: "c") == nil)
        let call = ConstrainedAction.parse(#" {"name": "search", "arguments": {"pattern": "x"}} "#, callID: "c")
        #expect(call == ToolCall(id: "c", name: "search", arguments: #"{"pattern":"x"}"#))
    }

    @Test("the GBNF grammar writes required properties first, optional ones in order, and bounds strings and lists")
    func grammarShape() {
        let tools = [
            ToolSpec(name: "submit", description: "", parameters: ["type": "object", "properties": [:]]),
            ToolSpec(
                name: "run_tests", description: "",
                parameters: ["type": "object", "properties": ["tests": ["type": "array", "items": ["type": "string"]]], "required": []]),
            ToolSpec(
                name: "read_file", description: "",
                parameters: [
                    "type": "object", "required": ["path"],
                    "properties": ["path": ["type": "string"], "start_line": ["type": "integer"], "end_line": ["type": "integer"]],
                ]),
        ]
        let grammar = ConstrainedAction.grammar(for: tools, maxStringLength: 50)
        let rules = Dictionary(
            grammar.split(separator: "\n").map { line -> (String, String) in
                let parts = line.components(separatedBy: " ::= ")
                return (parts[0], parts.dropFirst().joined(separator: " ::= "))
            }, uniquingKeysWith: { first, _ in first })
        #expect(rules["root"] == "(action-0 | action-1 | action-2)")
        #expect(rules["action-0-parameters"] == #""{" space  "}" space"#)
        #expect(rules["action-1-parameters"] == #""{" space (("\"tests\"" space ":" space action-1-parameters-tests))? "}" space"#)
        #expect(rules["action-1-parameters-tests"]?.contains("{0,9}") == true)
        #expect(rules["action-2-parameters"]?.contains(#""\"path\"" space ":" space action-2-parameters-path ("," space "\"end_line\"""#) == true)
        #expect(rules["string-50"] == #""\"" char{0,50} "\"" space"#)
    }
}

@Suite("Endpoint slots")
struct EndpointSlotTests {
    @Test("workers wait for the endpoint's one slot instead of queueing in the server; the wait is recorded per step")
    func oneSlot() async throws {
        let server = try FakeProviderServer(.openAI, turns: [], latency: .milliseconds(300))
        defer { server.stop() }
        let slots = EndpointSlots(limit: 1)
        let model = SlotLimitedModel(wrapping: constrainedAdapter(server, nil), slots: slots)
        let request = ChatRequest(messages: [.system("s"), .user("u")], tools: [])
        let started = Date()
        let responses = try await withThrowingTaskGroup(of: ChatResponse.self) { group in
            for _ in 0..<3 { group.addTask { try await model.complete(request) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let wall = Date().timeIntervalSince(started)
        #expect(server.peakConcurrency == 1)
        let waits = responses.map(\.slotWait).sorted()
        let latencies = responses.map(\.latency)
        // No bound here is a deadline (CI's loaded machine once took 7 s for a 0.3 s answer). The
        // first took the free slot without waiting for an answer (its wait is shorter than any
        // answer took); the others waited for one or two answers of at least 0.3 s.
        #expect(waits[0] < latencies.min()! && waits[1] >= 0.25 && waits[2] >= 0.55, "waits \(waits), latencies \(latencies)")
        // The latency excludes the wait. One slot makes the requests take turns, so their
        // latencies are separate stretches of the wall time and add up to less than it. Had
        // each included its wait, the first answer's time would count three times and the
        // second's twice: the sum would pass the wall time by 0.9 s or more.
        #expect(latencies.reduce(0, +) <= wall, "latencies \(latencies), waits \(waits), wall \(wall)")
        #expect(slots.inUse == 0)
    }

    @Test("a worker cancelled while it waits for a slot leaves, and the slot still passes on")
    func cancelledWaiter() async throws {
        let slots = EndpointSlots(limit: 1)
        let (_, _) = try await slots.withSlot {
            let waiting = Task { try await slots.withSlot { 1 } }
            try await Task.sleep(for: .milliseconds(50))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            return 0
        }
        let (value, waited) = try await slots.withSlot { 2 }
        #expect(value == 2 && waited < 0.1 && slots.inUse == 0)
    }

    @Test("the registry limits local to one request at a time and leaves hosted providers alone unless asked")
    func defaults() throws {
        let local = ModelConfiguration(spec: try ModelSpec("local"), baseURL: "http://127.0.0.1:9/v1", environment: [:])
        #expect(local.concurrencyLimit == 1)
        #expect(try ModelRegistry.standard.model(local, for: ModelContext(taskName: "t")) is SlotLimitedModel)
        let hosted = ModelConfiguration(spec: try ModelSpec("openai-compatible:m"), baseURL: "http://127.0.0.1:9/v1", environment: [:])
        #expect(hosted.concurrencyLimit == nil)
        #expect(try ModelRegistry.standard.model(hosted, for: ModelContext(taskName: "t")) is OpenAICompatibleModel)
        var limited = hosted
        limited.modelConcurrency = 4
        let model = try ModelRegistry.standard.model(limited, for: ModelContext(taskName: "t"))
        #expect((model as? SlotLimitedModel)?.slots.limit == 4)
    }

    @Test("local defaults to constrained json_object decoding; other servers take --tool-mode constrained with json_schema")
    func constrainedDefaults() throws {
        let local = ModelConfiguration(spec: try ModelSpec("local"), baseURL: "http://127.0.0.1:9/v1", environment: [:])
        let made = try #require(try ModelRegistry.standard.model(local, for: ModelContext(taskName: "t")) as? SlotLimitedModel)
        #expect((made.base as? OpenAICompatibleModel)?.constraint == .jsonObject)
        let asked = ModelConfiguration(
            spec: try ModelSpec("openai-compatible:m"), baseURL: "http://127.0.0.1:9/v1", toolMode: .constrained, environment: [:])
        #expect((try ModelRegistry.standard.model(asked, for: ModelContext(taskName: "t")) as? OpenAICompatibleModel)?.constraint == .jsonSchema)
        let native = ModelConfiguration(spec: try ModelSpec("openai-compatible:m"), baseURL: "http://127.0.0.1:9/v1", environment: [:])
        #expect((try ModelRegistry.standard.model(native, for: ModelContext(taskName: "t")) as? OpenAICompatibleModel)?.constraint == nil)
        let anthropic = ModelConfiguration(spec: try ModelSpec("anthropic:m"), baseURL: "http://127.0.0.1:9", toolMode: .constrained, environment: [:])
        #expect(throws: ModelSpecError.self) { try ModelRegistry.standard.model(anthropic, for: ModelContext(taskName: "t")) }
    }
}

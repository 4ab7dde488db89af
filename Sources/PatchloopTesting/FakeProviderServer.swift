import Foundation
import PatchloopCore
import PatchloopModels
import Synchronization

/// A model provider on 127.0.0.1 that speaks OpenAI's Chat Completions or Anthropic's
/// Messages protocol — streaming or not, as each request asks — and answers from a
/// scripted policy (a list of turns). It checks each request the way the real APIs do
/// (tool results must answer earlier calls, roles must alternate, no `null` content for
/// llama.cpp) and answers a malformed one with HTTP 400, so adapter bugs fail loudly.
///
/// Faults are injected per request number: the fault is served instead of the next
/// turn, which stays for the retry.
///
/// With `decoding`, the server stands in for one constrained-decoding mechanism (OpenAI
/// protocol): a request that uses it gets the turn's first call as the server would decode
/// it — the action object as the message text for `json_schema`, `json_object` and
/// `grammar`, a tool call for `tool_choice` — and a request that uses another mechanism is
/// rejected as that server rejects it (llama-cpp-python: HTTP 422 for a `json_schema`
/// response format).
public final class FakeProviderServer: Sendable {
    public enum WireProtocol: Sendable {
        case openAI, anthropic
    }

    /// What to do with one request instead of answering it normally.
    public enum Fault: Sendable {
        /// Send this response; the turn is kept for the next request.
        case respond(FakeResponse)
        /// Stream the turn but stop before the final marker (`[DONE]` / `message_stop`).
        case truncateStream
        /// Stream the turn but reset the connection after this many bytes.
        case resetStream(afterBytes: Int)
        /// Send the headers and part of the stream, then nothing.
        case stallStream

        public static func status(_ code: Int, body: String = #"{"error": {"message": "injected failure", "type": "server_error"}}"#, headers: [(name: String, value: String)] = []) -> Fault {
            .respond(.json(body, status: code, headers: headers))
        }
    }

    public let wireProtocol: WireProtocol
    /// The constrained-decoding mechanism this server stands in for; nil: none.
    public let decoding: ConstrainedDecoding?
    public let server: FakeHTTPServer
    private let state: StateBox

    /// The scripted conversation's position and the faults still to come, behind a lock.
    final class StateBox: Sendable {
        let mutex: Mutex<State>
        init(_ state: State) { mutex = Mutex(state) }
        func withLock<Result>(_ body: (inout State) -> Result) -> Result { mutex.withLock { body(&$0) } }
    }

    struct State {
        var turns: [ScriptedModel.Turn]
        var next = 0
        var faults: [Int: Fault]
        var requestCount = 0
        var contextLimit: Int?
        /// Hashes of the prefixes written to the simulated prompt cache (Anthropic).
        var cachedPrefixes = Set<Int>()
        var problems: [String] = []
        /// Every request's input tokens and the part read from the cache.
        var usageLog: [(input: Int, cached: Int)] = []
        var answering = 0
        var peakConcurrency = 0
    }

    /// Starts the server. `faults` maps a request number (1-based) to its fault;
    /// `contextLimit` makes requests estimated above that many tokens fail as the real
    /// providers do when the context is too long.
    public init(
        _ wireProtocol: WireProtocol, turns: [ScriptedModel.Turn], faults: [Int: Fault] = [:], contextLimit: Int? = nil,
        decoding: ConstrainedDecoding? = nil, latency: Duration? = nil
    ) throws {
        self.wireProtocol = wireProtocol
        self.decoding = decoding
        let state = StateBox(State(turns: turns, faults: faults, contextLimit: contextLimit))
        self.state = state
        server = try FakeHTTPServer { request in
            FakeProviderServer.answer(request, protocol: wireProtocol, state: state, decoding: decoding, latency: latency)
        }
    }

    /// The most requests the server was answering at one time (with `latency`, which keeps
    /// each one busy that long).
    public var peakConcurrency: Int { state.withLock { $0.peakConcurrency } }

    /// The base URL to give the adapter (`…/v1` for OpenAI, the root for Anthropic).
    public var baseURL: String {
        wireProtocol == .openAI ? server.baseURL + "/v1" : server.baseURL
    }

    public var requests: [RecordedRequest] { server.requests }

    /// Requests the server rejected as malformed, with why.
    public var problems: [String] { state.withLock { $0.problems } }

    /// Input tokens of every answered request, and how many of them the simulated
    /// prompt cache supplied.
    public var usageLog: [(input: Int, cached: Int)] { state.withLock { $0.usageLog } }

    public func stop() { server.stop() }

    // MARK: - Answering

    private static func answer(
        _ request: RecordedRequest, protocol wireProtocol: WireProtocol, state: StateBox, decoding: ConstrainedDecoding?, latency: Duration?
    ) -> FakeResponse {
        guard let latency else { return answer(request, protocol: wireProtocol, state: state, decoding: decoding) }
        state.withLock { state in
            state.answering += 1
            state.peakConcurrency = max(state.peakConcurrency, state.answering)
        }
        Thread.sleep(forTimeInterval: Double(latency.components.seconds) + Double(latency.components.attoseconds) * 1e-18)
        defer { state.withLock { $0.answering -= 1 } }
        return answer(request, protocol: wireProtocol, state: state, decoding: decoding)
    }

    /// The constrained-decoding mechanism a request uses, if any.
    static func mechanism(of body: JSONValue) -> ConstrainedDecoding? {
        if let format = body["response_format"]?["type"]?.stringValue {
            return format == "json_schema" ? .jsonSchema : format == "json_object" ? .jsonObject : nil
        }
        if body["grammar"]?.stringValue != nil { return .grammar }
        if body["tool_choice"]?.stringValue == "required" { return .toolChoice }
        return nil
    }

    /// Why a stand-in for `decoding` refuses a request's mechanism, as that server words it.
    static func refusal(of body: JSONValue, decoding: ConstrainedDecoding?) -> String? {
        guard let decoding, let used = mechanism(of: body), used != decoding else { return nil }
        switch used {
        case .jsonSchema: return "response_format.type: Input should be 'text' or 'json_object'"
        case .jsonObject: return "response_format.type: json_object with a schema is not supported; use json_schema"
        case .grammar: return "grammar: this server does not take a grammar"
        case .toolChoice: return "tool_choice: only 'auto' or a named function is supported"
        }
    }

    /// The turn as a server constrained by `decoding` answers it: the first call's action
    /// object as text (the schema sent must name that tool), or the call alone.
    static func constrained(_ turn: ScriptedModel.Turn, body: JSONValue, decoding: ConstrainedDecoding) -> ScriptedModel.Turn {
        guard let call = turn.toolCalls.first else { return turn }
        guard decoding != .toolChoice else { return ScriptedModel.Turn(toolCalls: [call]) }
        let arguments = (try? JSONValue.parse(call.arguments)) ?? .string(call.arguments)
        return ScriptedModel.Turn(content: JSONValue.object(["name": .string(call.name), "parameters": arguments]).encoded(), toolCalls: [])
    }

    private static func answer(_ request: RecordedRequest, protocol wireProtocol: WireProtocol, state: StateBox, decoding: ConstrainedDecoding?) -> FakeResponse {
        guard let body = try? JSONValue.parse(request.body) else {
            return .json(#"{"error": {"message": "body is not JSON"}}"#, status: 400)
        }
        let expectedPath = wireProtocol == .openAI ? "/v1/chat/completions" : "/v1/messages"
        guard request.path == expectedPath else {
            return .json(#"{"error": {"message": "unknown path"}}"#, status: 404)
        }
        if let problem = validate(body, request: request, protocol: wireProtocol) ?? refusal(of: body, decoding: decoding) {
            state.withLock { $0.problems.append(problem) }
            return .json(JSONValue.object(["error": ["message": .string(problem), "type": "invalid_request_error"]]).encoded(), status: 400)
        }
        let input = estimateInput(body)
        if let limit = state.withLock({ $0.contextLimit }), input > limit {
            return contextTooLong(input: input, limit: limit, protocol: wireProtocol)
        }
        let (scripted, fault, index, cached) = state.withLock { state -> (ScriptedModel.Turn, Fault?, Int, Int) in
            state.requestCount += 1
            let fault = state.faults[state.requestCount]
            let index = state.next
            let turn = index < state.turns.count ? state.turns[index] : .call("submit")
            var cached = 0
            if fault == nil {
                state.next += 1
                if wireProtocol == .anthropic {
                    cached = min(input, simulateCache(body, cache: &state.cachedPrefixes))
                }
                state.usageLog.append((input, cached))
            }
            return (turn, fault, index, cached)
        }
        if case .respond(let response) = fault { return response }
        var turn = scripted
        if let decoding, mechanism(of: body) == decoding { turn = constrained(scripted, body: body, decoding: decoding) }
        let stream = body["stream"]?.boolValue == true
        let rendered: FakeResponse
        switch wireProtocol {
        case .openAI:
            rendered = stream
                ? openAIStream(turn, index: index, input: input, truncate: fault.isTruncation)
                : .json(openAIMessage(turn, index: index, input: input).encoded())
        case .anthropic:
            rendered = stream
                ? anthropicStream(turn, index: index, input: input, cached: cached, truncate: fault.isTruncation)
                : .json(anthropicMessage(turn, index: index, input: input, cached: cached).encoded())
        }
        switch fault {
        case .resetStream(let bytes): return .reset(afterBytes: bytes, of: rendered)
        case .stallStream: return .stall(sending: "data: {\"choices\": []}\n\n", upTo: .seconds(60))
        default: return rendered
        }
    }

    /// The provider's answer to a request over its context window.
    static func contextTooLong(input: Int, limit: Int, protocol wireProtocol: WireProtocol) -> FakeResponse {
        switch wireProtocol {
        case .openAI:
            let error: JSONValue = [
                "error": [
                    "message": .string("This model's maximum context length is \(limit) tokens. However, your messages resulted in \(input) tokens. Please reduce the length of the messages."),
                    "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded",
                ]
            ]
            return .json(error.encoded(), status: 400)
        case .anthropic:
            let error: JSONValue = [
                "type": "error",
                "error": ["type": "invalid_request_error", "message": .string("prompt is too long: \(input) tokens > \(limit) maximum")],
            ]
            return .json(error.encoded(), status: 400)
        }
    }

    /// Anthropic's prompt cache, simulated: a request reads the longest prefix, ending at
    /// one of its `cache_control` breakpoints, that an earlier request wrote; it writes
    /// the prefixes at all its breakpoints. Returns the tokens read.
    static func simulateCache(_ body: JSONValue, cache: inout Set<Int>) -> Int {
        var blocks: [JSONValue] = body["tools"]?.arrayValue ?? []
        blocks += body["system"]?.arrayValue ?? []
        for message in body["messages"]?.arrayValue ?? [] {
            let role = message["role"] ?? .null
            for block in message["content"]?.arrayValue ?? [] { blocks.append(["role": role, "block": block]) }
        }
        var prefix = ""
        var read = 0
        var written: [Int] = []
        for block in blocks {
            let marked = block.encoded().contains("\"cache_control\"")
            prefix += stripCacheControl(block).encoded()
            if marked {
                var hasher = Hasher()
                hasher.combine(prefix)
                let key = hasher.finalize()
                if cache.contains(key) { read = TokenEstimator.estimate(prefix) }
                written.append(key)
            }
        }
        cache.formUnion(written)
        return read
    }

    static func stripCacheControl(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            members["cache_control"] = nil
            return .object(members.mapValues(stripCacheControl))
        case .array(let items):
            return .array(items.map(stripCacheControl))
        default:
            return value
        }
    }

    /// Token count of a request as the scripted model estimates it.
    static func estimateInput(_ body: JSONValue) -> Int {
        TokenEstimator.estimate(body.encoded())
    }

    static func outputTokens(_ turn: ScriptedModel.Turn) -> Int {
        TokenEstimator.estimate(turn.content) + turn.toolCalls.reduce(0) { $0 + TokenEstimator.estimate($1.arguments) + 4 }
    }

    // MARK: OpenAI

    static func openAIMessage(_ turn: ScriptedModel.Turn, index: Int, input: Int) -> JSONValue {
        var message: [String: JSONValue] = ["role": "assistant", "content": turn.content.isEmpty ? .null : .string(turn.content)]
        if !turn.toolCalls.isEmpty {
            message["tool_calls"] = .array(
                turn.toolCalls.enumerated().map { offset, call in
                    ["id": .string("call_\(index)_\(offset)"), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
                })
        }
        return [
            "id": .string("chatcmpl-\(index)"), "object": "chat.completion", "model": "fake",
            "choices": [["index": 0, "message": .object(message), "finish_reason": turn.toolCalls.isEmpty ? "stop" : "tool_calls"]],
            "usage": [
                "prompt_tokens": .number(Double(input)), "completion_tokens": .number(Double(outputTokens(turn))),
                "total_tokens": .number(Double(input + outputTokens(turn))), "prompt_tokens_details": ["cached_tokens": 0],
            ],
        ]
    }

    static func openAIStream(_ turn: ScriptedModel.Turn, index: Int, input: Int, truncate: Bool) -> FakeResponse {
        var payloads: [JSONValue] = []
        func chunk(_ delta: JSONValue, finish: JSONValue = .null) -> JSONValue {
            ["id": .string("chatcmpl-\(index)"), "object": "chat.completion.chunk", "choices": [["index": 0, "delta": delta, "finish_reason": finish]], "usage": .null]
        }
        payloads.append(chunk(["role": "assistant", "content": ""]))
        for piece in pieces(turn.content, size: 5) { payloads.append(chunk(["content": .string(piece)])) }
        for (offset, call) in turn.toolCalls.enumerated() {
            payloads.append(
                chunk([
                    "tool_calls": [["index": .number(Double(offset)), "id": .string("call_\(index)_\(offset)"), "type": "function", "function": ["name": .string(call.name), "arguments": ""]]]
                ]))
            for piece in pieces(call.arguments, size: 7) {
                payloads.append(chunk(["tool_calls": [["index": .number(Double(offset)), "function": ["arguments": .string(piece)]]]]))
            }
        }
        payloads.append(chunk([:], finish: turn.toolCalls.isEmpty ? "stop" : "tool_calls"))
        payloads.append([
            "id": .string("chatcmpl-\(index)"), "object": "chat.completion.chunk", "choices": [],
            "usage": ["prompt_tokens": .number(Double(input)), "completion_tokens": .number(Double(outputTokens(turn))), "prompt_tokens_details": ["cached_tokens": 0]],
        ])
        return .openAIStream(payloads.map { $0.encoded() }, done: !truncate)
    }

    // MARK: Anthropic

    static func anthropicUsage(input: Int, cached: Int, output: Int) -> JSONValue {
        [
            "input_tokens": .number(Double(input - cached)), "cache_read_input_tokens": .number(Double(cached)),
            "cache_creation_input_tokens": 0, "output_tokens": .number(Double(output)),
        ]
    }

    static func anthropicBlocks(_ turn: ScriptedModel.Turn, index: Int) -> [JSONValue] {
        var blocks: [JSONValue] = []
        if !turn.content.isEmpty { blocks.append(["type": "text", "text": .string(turn.content)]) }
        for (offset, call) in turn.toolCalls.enumerated() {
            // Anthropic's input is always an object; a script's malformed text becomes a string field.
            let input = (try? JSONValue.parse(call.arguments)).flatMap { $0.objectValue != nil ? $0 : nil } ?? ["raw": .string(call.arguments)]
            blocks.append(["type": "tool_use", "id": .string("toolu_\(index)_\(offset)"), "name": .string(call.name), "input": input])
        }
        return blocks
    }

    static func anthropicMessage(_ turn: ScriptedModel.Turn, index: Int, input: Int, cached: Int) -> JSONValue {
        [
            "id": .string("msg_\(index)"), "type": "message", "role": "assistant", "model": "fake",
            "content": .array(anthropicBlocks(turn, index: index)),
            "stop_reason": turn.toolCalls.isEmpty ? "end_turn" : "tool_use", "stop_sequence": .null,
            "usage": anthropicUsage(input: input, cached: cached, output: outputTokens(turn)),
        ]
    }

    static func anthropicStream(_ turn: ScriptedModel.Turn, index: Int, input: Int, cached: Int, truncate: Bool) -> FakeResponse {
        var events: [(String, JSONValue)] = []
        events.append(("message_start", [
            "type": "message_start",
            "message": ["id": .string("msg_\(index)"), "type": "message", "role": "assistant", "content": [], "model": "fake",
                        "usage": anthropicUsage(input: input, cached: cached, output: 1)],
        ]))
        events.append(("ping", ["type": "ping"]))
        for (position, block) in anthropicBlocks(turn, index: index).enumerated() {
            let number = JSONValue.number(Double(position))
            if block["type"] == "text" {
                events.append(("content_block_start", ["type": "content_block_start", "index": number, "content_block": ["type": "text", "text": ""]]))
                for piece in pieces(block["text"]?.stringValue ?? "", size: 5) {
                    events.append(("content_block_delta", ["type": "content_block_delta", "index": number, "delta": ["type": "text_delta", "text": .string(piece)]]))
                }
            } else {
                events.append(("content_block_start", [
                    "type": "content_block_start", "index": number,
                    "content_block": ["type": "tool_use", "id": block["id"] ?? "", "name": block["name"] ?? "", "input": [:]],
                ]))
                for piece in pieces((block["input"] ?? [:]).encoded(), size: 7) {
                    events.append(("content_block_delta", ["type": "content_block_delta", "index": number, "delta": ["type": "input_json_delta", "partial_json": .string(piece)]]))
                }
            }
            events.append(("content_block_stop", ["type": "content_block_stop", "index": number]))
        }
        events.append(("message_delta", [
            "type": "message_delta", "delta": ["stop_reason": turn.toolCalls.isEmpty ? "end_turn" : "tool_use", "stop_sequence": .null],
            "usage": ["output_tokens": .number(Double(outputTokens(turn)))],
        ]))
        if !truncate { events.append(("message_stop", ["type": "message_stop"])) }
        return .serverSentEvents(events.map { FakeChunk("event: \($0.0)\ndata: \($0.1.encoded())\n\n") })
    }

    static func pieces(_ text: String, size: Int) -> [String] {
        guard !text.isEmpty else { return [] }
        var result: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            result.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return result
    }

    // MARK: Validation

    /// What a real server would reject in this request, if anything.
    static func validate(_ body: JSONValue, request: RecordedRequest, protocol wireProtocol: WireProtocol) -> String? {
        guard let messages = body["messages"]?.arrayValue, !messages.isEmpty else { return "messages is missing or empty" }
        switch wireProtocol {
        case .openAI:
            var callIDs = Set<String>()
            for (index, message) in messages.enumerated() {
                guard let role = message["role"]?.stringValue else { return "messages[\(index)] has no role" }
                if message["content"]?.isNull ?? true { return "messages[\(index)].content is null (llama.cpp rejects this)" }
                for call in message["tool_calls"]?.arrayValue ?? [] {
                    guard let id = call["id"]?.stringValue, call["function"]?["arguments"]?.stringValue != nil else {
                        return "messages[\(index)] has a tool call without id or string arguments"
                    }
                    callIDs.insert(id)
                }
                if role == "tool" {
                    guard let id = message["tool_call_id"]?.stringValue, callIDs.contains(id) else {
                        return "messages[\(index)] answers a tool call that was never made"
                    }
                }
            }
        case .anthropic:
            guard request.header("anthropic-version") != nil else { return "anthropic-version header missing" }
            guard body["max_tokens"]?.intValue != nil else { return "max_tokens: Field required" }
            var previousRole = ""
            var toolUses = Set<String>()
            var breakpoints = body.encoded().components(separatedBy: "\"cache_control\"").count - 1
            for (index, message) in messages.enumerated() {
                guard let role = message["role"]?.stringValue, role == "user" || role == "assistant" else { return "messages[\(index)]: bad role" }
                if index == 0 && role != "user" { return "the first message must use the user role" }
                if role == previousRole { return "messages: roles must alternate between user and assistant (index \(index))" }
                previousRole = role
                for block in message["content"]?.arrayValue ?? [] {
                    if block["type"] == "tool_use", let id = block["id"]?.stringValue { toolUses.insert(id) }
                    if block["type"] == "tool_result" {
                        guard let id = block["tool_use_id"]?.stringValue, toolUses.contains(id) else {
                            return "messages[\(index)]: tool_result for an unknown tool_use id"
                        }
                    }
                }
            }
            breakpoints = max(0, breakpoints)
            if breakpoints > 4 { return "A maximum of 4 blocks with cache_control may be provided. Found \(breakpoints)." }
        }
        return nil
    }
}

extension Optional where Wrapped == FakeProviderServer.Fault {
    var isTruncation: Bool {
        if case .truncateStream = self { return true }
        return false
    }
}

import Foundation
import PatchloopCore
import PatchloopHTTP
import Synchronization

/// OpenAI Chat Completions with tools — the hosted API (`openai:NAME`) and every server
/// that speaks it (`openai-compatible:NAME` with `--base-url`: vLLM, llama.cpp, Ollama,
/// OpenRouter). Streams by default, assembling tool-call deltas by `index`.
///
/// Server quirks handled here and nowhere else: an assistant message with tool calls is
/// sent with `content: ""` rather than `null` (llama.cpp's server rejects `null`); a
/// tool call without an id gets one; `stream_options` asks for the usage chunk.
///
/// With a `constraint` (`--tool-mode constrained`) each request asks the server to decode
/// only a valid action (see `ConstrainedDecoding` for which mechanism suits which server);
/// the action in the reply becomes an ordinary tool call.
public struct OpenAICompatibleModel: ChatModel {
    public let identifier: String
    public let modelName: String
    public let endpoint: ProviderEndpoint
    public let pricing: ModelPricing?
    /// `max_tokens` when the request sets none; nil leaves it to the server.
    public let maxOutputTokens: Int?
    /// How decoding is constrained to a valid action; nil: native tool calling.
    public let constraint: ConstrainedDecoding?
    let client: HTTPClient

    public init(
        identifier: String, modelName: String, endpoint: ProviderEndpoint, pricing: ModelPricing?, maxOutputTokens: Int? = nil,
        constraint: ConstrainedDecoding? = nil, client: HTTPClient = HTTPClient()
    ) {
        self.maxOutputTokens = maxOutputTokens
        self.constraint = constraint
        self.identifier = identifier
        self.modelName = modelName
        self.endpoint = endpoint
        self.pricing = pricing
        self.client = client
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var http = endpoint.jsonRequest(path: "/chat/completions", body: requestBody(request))
        if let key = endpoint.apiKey, !key.isEmpty { http.setHeader("Authorization", "Bearer \(key)") }
        var response = try await ProviderCall.perform(endpoint: endpoint, client: client, request: http) { body in
            try OpenAIWire.parseCompletion(try JSONValue.parse(body))
        } streamed: { retries in
            try await streamed(http, retries: retries)
        } failure: { error, retries in
            ProviderErrors.modelError(error, keyVariable: "OPENAI_API_KEY", model: modelName, baseURL: endpoint.baseURL, retries: retries)
        }
        guard let constraint else { return response }
        response.toolMode = "constrained:" + constraint.rawValue
        if constraint.answersInText, response.message.toolCalls.isEmpty,
            let call = ConstrainedAction.parse(response.message.content, callID: "call_\(request.messages.count)")
        {
            // The action is the whole reply: recorded as a call, with no text beside it.
            response.message = .assistant("", toolCalls: [call])
            response.finishReason = "tool_calls"
        }
        return response
    }

    /// The request as Chat Completions JSON.
    func requestBody(_ request: ChatRequest) -> JSONValue {
        var body: [String: JSONValue] = ["model": .string(modelName)]
        switch constraint {
        case nil:
            body["messages"] = .array(request.messages.map(OpenAIWire.message))
            if !request.tools.isEmpty { body["tools"] = .array(request.tools.map(\.json)) }
        case .toolChoice:
            body["messages"] = .array(request.messages.map(OpenAIWire.message))
            body["tools"] = .array(request.tools.map { tool in OpenAIWire.strictTool(tool) })
            body["tool_choice"] = "required"
            body["parallel_tool_calls"] = false
        case .jsonSchema?, .jsonObject?, .grammar?:
            body["messages"] = .array(ConstrainedAction.textConversation(request).map(OpenAIWire.message))
            let bound = ConstrainedAction.stringBound(forOutputTokens: request.maxOutputTokens ?? maxOutputTokens)
            let schema = ConstrainedAction.schema(for: request.tools, maxStringLength: bound)
            switch constraint {
            case .jsonSchema?:
                body["response_format"] = ["type": "json_schema", "json_schema": ["name": "action", "schema": schema]]
            case .jsonObject?:
                body["response_format"] = ["type": "json_object", "schema": schema]
            default:
                body["grammar"] = .string(ConstrainedAction.grammar(for: request.tools, maxStringLength: bound))
            }
        }
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if let limit = request.maxOutputTokens ?? maxOutputTokens { body["max_tokens"] = .number(Double(limit)) }
        if endpoint.stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        return .object(body)
    }

    private func streamed(_ http: HTTPRequest, retries: RetryLog) async throws -> ChatResponse {
        let stream = try await client.stream(http, retry: endpoint.retry, onRetry: retries.record)
        var assembler = OpenAIStreamAssembler()
        for try await event in stream.events() {
            if event.data == "[DONE]" {
                var response = try assembler.finish()
                if !assembler.sawUsage {
                    // Some servers (llama-cpp-python) ignore stream_options.include_usage.
                    response.usage = TokenUsage(
                        inputTokens: TokenEstimator.estimate(String(decoding: http.body ?? Data(), as: UTF8.self)),
                        outputTokens: TokenEstimator.estimate(response.message.content)
                            + response.message.toolCalls.reduce(0) { $0 + TokenEstimator.estimate($1.name + $1.arguments) })
                    response.usageIsEstimated = true
                }
                return response
            }
            guard !event.data.isEmpty else { continue }
            try assembler.add(try JSONValue.parse(event.data))
        }
        throw ModelError(
            .transport, "the stream from \(endpoint.baseURL) ended without its final `data: [DONE]` — the server or a proxy cut it off; try again",
            retries: retries.entries)
    }
}

/// OpenAI's wire shapes, both ways.
enum OpenAIWire {
    /// A tool whose arguments the server must keep to (`strict`), for `tool_choice` mode.
    static func strictTool(_ tool: ToolSpec) -> JSONValue {
        [
            "type": "function",
            "function": [
                "name": .string(tool.name), "description": .string(tool.description),
                "parameters": ConstrainedAction.closed(tool.parameters), "strict": true,
            ],
        ]
    }

    static func message(_ message: ChatMessage) -> JSONValue {
        var object: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": .string(message.content)]
        if !message.toolCalls.isEmpty { object["tool_calls"] = .array(message.toolCalls.map(\.json)) }
        if message.role == .tool, let id = message.toolCallID { object["tool_call_id"] = .string(id) }
        return .object(object)
    }

    static func parseCompletion(_ document: JSONValue) throws -> ChatResponse {
        if let error = document["error"], !error.isNull {
            throw ModelError(.server, "the server answered with an error: \(error["message"]?.stringValue ?? error.encoded())")
        }
        guard let choice = document["choices"]?.arrayValue?.first, let message = choice["message"] else {
            throw ModelError(.invalidResponse, "the response has no choices[0].message: \(document.encoded().prefix(300))")
        }
        var calls: [ToolCall] = []
        for (index, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            let function = call["function"]
            let arguments = function?["arguments"]
            calls.append(
                ToolCall(
                    id: call["id"]?.stringValue ?? "call_\(index)", name: function?["name"]?.stringValue ?? "",
                    arguments: arguments?.stringValue ?? arguments?.encoded() ?? "{}"))
        }
        return ChatResponse(
            message: .assistant(message["content"]?.stringValue ?? "", toolCalls: calls), usage: usage(document["usage"]),
            finishReason: choice["finish_reason"]?.stringValue ?? "", latency: 0)
    }

    static func usage(_ value: JSONValue?) -> TokenUsage {
        guard let value, !value.isNull else { return TokenUsage() }
        return TokenUsage(
            inputTokens: value["prompt_tokens"]?.intValue ?? 0, outputTokens: value["completion_tokens"]?.intValue ?? 0,
            cachedInputTokens: value["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0)
    }
}

/// Builds one answer from Chat Completions chunks: text deltas appended, tool calls
/// assembled per `index` (id, type and name arrive once, arguments as fragments).
struct OpenAIStreamAssembler {
    private var content = ""
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]
    private var finishReason = ""
    private var usage = TokenUsage()
    /// Whether a chunk carried `usage` (servers that ignore `include_usage` send none).
    private(set) var sawUsage = false

    mutating func add(_ chunk: JSONValue) throws {
        if let error = chunk["error"], !error.isNull {
            throw ModelError(.server, "the stream carried an error: \(error["message"]?.stringValue ?? error.encoded())")
        }
        if let usageValue = chunk["usage"], !usageValue.isNull {
            usage = OpenAIWire.usage(usageValue)
            sawUsage = true
        }
        for choice in chunk["choices"]?.arrayValue ?? [] {
            let delta = choice["delta"]
            if let text = delta?["content"]?.stringValue { content += text }
            for (position, call) in (delta?["tool_calls"]?.arrayValue ?? []).enumerated() {
                let index = call["index"]?.intValue ?? position
                var entry = calls[index] ?? ("", "", "")
                if let id = call["id"]?.stringValue, !id.isEmpty { entry.id = id }
                if let name = call["function"]?["name"]?.stringValue { entry.name += name }
                if let arguments = call["function"]?["arguments"] {
                    // Most servers send string fragments; Ollama's native shape is an object.
                    entry.arguments += arguments.stringValue ?? arguments.encoded()
                }
                calls[index] = entry
            }
            if let reason = choice["finish_reason"]?.stringValue { finishReason = reason }
        }
    }

    func finish() throws -> ChatResponse {
        let toolCalls = calls.sorted { $0.key < $1.key }.map { index, call in
            ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: call.arguments)
        }
        return ChatResponse(message: .assistant(content, toolCalls: toolCalls), usage: usage, finishReason: finishReason, latency: 0)
    }
}

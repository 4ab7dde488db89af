import Foundation
import PatchloopCore
import PatchloopHTTP

/// Anthropic's Messages API with tools (`anthropic:NAME`), streaming by default.
///
/// Tool calls are `tool_use` blocks; their results go back as `tool_result` blocks in
/// the next user message (consecutive tool results and a following user text share
/// one message, since roles must alternate). Prompt caching: `cache_control`
/// breakpoints on the last tool, the system prompt and the two latest user turns, so
/// each step reads the previous step's prefix from the cache (4 breakpoints, the most
/// the API takes).
public struct AnthropicModel: ChatModel {
    public static let apiVersion = "2023-06-01"

    public let identifier: String
    public let modelName: String
    public let endpoint: ProviderEndpoint
    public let pricing: ModelPricing?
    /// `max_tokens`, required by the API.
    public let maxOutputTokens: Int
    let client: HTTPClient

    public init(
        identifier: String, modelName: String, endpoint: ProviderEndpoint, pricing: ModelPricing?, maxOutputTokens: Int = 8192,
        client: HTTPClient = HTTPClient()
    ) {
        self.identifier = identifier
        self.modelName = modelName
        self.endpoint = endpoint
        self.pricing = pricing
        self.maxOutputTokens = maxOutputTokens
        self.client = client
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var http = endpoint.jsonRequest(path: "/v1/messages", body: requestBody(request))
        http.setHeader("anthropic-version", AnthropicModel.apiVersion)
        if let key = endpoint.apiKey, !key.isEmpty { http.setHeader("x-api-key", key) }
        return try await ProviderCall.perform(endpoint: endpoint, client: client, request: http) { body in
            try AnthropicWire.parseMessage(try JSONValue.parse(body))
        } streamed: { retries in
            try await streamed(http, retries: retries)
        } failure: { error, retries in
            ProviderErrors.modelError(error, keyVariable: "ANTHROPIC_API_KEY", model: modelName, baseURL: endpoint.baseURL, retries: retries)
        }
    }

    /// The request as Messages API JSON, with cache breakpoints.
    public func requestBody(_ request: ChatRequest) -> JSONValue {
        let system = request.messages.filter { $0.role == .system }.map(\.content).joined(separator: "\n\n")
        var messages = AnthropicWire.messages(request.messages.filter { $0.role != .system })
        AnthropicWire.markLatestUserTurns(&messages, count: 2)
        var body: [String: JSONValue] = [
            "model": .string(modelName),
            "max_tokens": .number(Double(request.maxOutputTokens ?? maxOutputTokens)),
            "messages": .array(messages),
        ]
        if !system.isEmpty {
            body["system"] = [["type": "text", "text": .string(system), "cache_control": AnthropicWire.ephemeral]]
        }
        if !request.tools.isEmpty {
            var tools: [JSONValue] = request.tools.map {
                ["name": .string($0.name), "description": .string($0.description), "input_schema": $0.parameters]
            }
            if case .object(var last) = tools[tools.count - 1] {
                last["cache_control"] = AnthropicWire.ephemeral
                tools[tools.count - 1] = .object(last)
            }
            body["tools"] = .array(tools)
        }
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if endpoint.stream { body["stream"] = true }
        return .object(body)
    }

    private func streamed(_ http: HTTPRequest, retries: RetryLog) async throws -> ChatResponse {
        let stream = try await client.stream(http, retry: endpoint.retry, onRetry: retries.record)
        var assembler = AnthropicStreamAssembler()
        for try await event in stream.events() {
            guard !event.data.isEmpty else { continue }
            let payload = try JSONValue.parse(event.data)
            if try assembler.add(type: event.event ?? payload["type"]?.stringValue ?? "", payload) {
                return assembler.finish()
            }
        }
        throw ModelError(
            .transport, "the stream from \(endpoint.baseURL) ended without `message_stop` — the server or a proxy cut it off; try again",
            retries: retries.entries)
    }
}

/// The Messages API's shapes, both ways.
enum AnthropicWire {
    static let ephemeral: JSONValue = ["type": "ephemeral"]

    /// Provider-neutral messages as alternating user/assistant content-block messages.
    static func messages(_ conversation: [ChatMessage]) -> [JSONValue] {
        var result: [(role: String, blocks: [JSONValue])] = []
        func append(_ role: String, _ blocks: [JSONValue]) {
            guard !blocks.isEmpty else { return }
            if let last = result.last, last.role == role {
                result[result.count - 1].blocks += blocks
            } else {
                result.append((role, blocks))
            }
        }
        for message in conversation {
            switch message.role {
            case .system:
                continue
            case .user:
                append("user", [["type": "text", "text": .string(message.content.isEmpty ? "(empty)" : message.content)]])
            case .tool:
                append(
                    "user",
                    [["type": "tool_result", "tool_use_id": .string(message.toolCallID ?? ""), "content": .string(message.content)]])
            case .assistant:
                var blocks: [JSONValue] = []
                if !message.content.isEmpty { blocks.append(["type": "text", "text": .string(message.content)]) }
                for call in message.toolCalls {
                    // The API takes an object; text that does not parse travels as one field
                    // so the conversation stays valid (the agent already told the model it was malformed).
                    let input = (try? JSONValue.parse(call.arguments)).flatMap { $0.objectValue != nil ? $0 : nil }
                        ?? ["_unparsed_arguments": .string(call.arguments)]
                    blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
                }
                append("assistant", blocks.isEmpty ? [["type": "text", "text": "(no reply)"]] : blocks)
            }
        }
        return result.map { ["role": .string($0.role), "content": .array($0.blocks)] }
    }

    /// Puts a cache breakpoint on the last block of the latest `count` user messages.
    static func markLatestUserTurns(_ messages: inout [JSONValue], count: Int) {
        var marked = 0
        for index in messages.indices.reversed() where marked < count {
            guard messages[index]["role"]?.stringValue == "user", case .object(var message) = messages[index],
                var blocks = message["content"]?.arrayValue, case .object(var last) = blocks[blocks.count - 1]
            else { continue }
            last["cache_control"] = ephemeral
            blocks[blocks.count - 1] = .object(last)
            message["content"] = .array(blocks)
            messages[index] = .object(message)
            marked += 1
        }
    }

    static func usage(_ value: JSONValue?) -> TokenUsage {
        guard let value else { return TokenUsage() }
        let uncached = value["input_tokens"]?.intValue ?? 0
        let read = value["cache_read_input_tokens"]?.intValue ?? 0
        let written = value["cache_creation_input_tokens"]?.intValue ?? 0
        return TokenUsage(
            inputTokens: uncached + read + written, outputTokens: value["output_tokens"]?.intValue ?? 0, cachedInputTokens: read,
            cacheWriteTokens: written)
    }

    static func parseMessage(_ document: JSONValue) throws -> ChatResponse {
        if document["type"]?.stringValue == "error" {
            throw ModelError(.server, "the server answered with an error: \(document["error"]?["message"]?.stringValue ?? document.encoded())")
        }
        guard let content = document["content"]?.arrayValue else {
            throw ModelError(.invalidResponse, "the response has no content: \(document.encoded().prefix(300))")
        }
        var text = ""
        var calls: [ToolCall] = []
        for block in content {
            switch block["type"]?.stringValue {
            case "text": text += block["text"]?.stringValue ?? ""
            case "tool_use":
                calls.append(
                    ToolCall(id: block["id"]?.stringValue ?? "toolu_\(calls.count)", name: block["name"]?.stringValue ?? "", arguments: (block["input"] ?? [:]).encoded()))
            default: continue
            }
        }
        return ChatResponse(
            message: .assistant(text, toolCalls: calls), usage: usage(document["usage"]), finishReason: document["stop_reason"]?.stringValue ?? "",
            latency: 0)
    }
}

/// Builds one answer from Messages API stream events.
struct AnthropicStreamAssembler {
    private enum Block {
        case text(String)
        case toolUse(id: String, name: String, json: String)
        case other
    }

    private var blocks: [Int: Block] = [:]
    private var usage = TokenUsage()
    private var stopReason = ""

    /// Adds one event; returns true at `message_stop`.
    mutating func add(type: String, _ payload: JSONValue) throws -> Bool {
        switch type {
        case "message_start":
            usage = AnthropicWire.usage(payload["message"]?["usage"])
        case "content_block_start":
            let index = payload["index"]?.intValue ?? blocks.count
            let block = payload["content_block"]
            switch block?["type"]?.stringValue {
            case "text": blocks[index] = .text(block?["text"]?.stringValue ?? "")
            case "tool_use": blocks[index] = .toolUse(id: block?["id"]?.stringValue ?? "", name: block?["name"]?.stringValue ?? "", json: "")
            default: blocks[index] = .other
            }
        case "content_block_delta":
            let index = payload["index"]?.intValue ?? 0
            let delta = payload["delta"]
            switch (blocks[index], delta?["type"]?.stringValue) {
            case (.text(let text), "text_delta"):
                blocks[index] = .text(text + (delta?["text"]?.stringValue ?? ""))
            case (.toolUse(let id, let name, let json), "input_json_delta"):
                blocks[index] = .toolUse(id: id, name: name, json: json + (delta?["partial_json"]?.stringValue ?? ""))
            default:
                break
            }
        case "message_delta":
            if let reason = payload["delta"]?["stop_reason"]?.stringValue { stopReason = reason }
            if let output = payload["usage"]?["output_tokens"]?.intValue { usage.outputTokens = output }
        case "message_stop":
            return true
        case "error":
            let message = payload["error"]?["message"]?.stringValue ?? payload.encoded()
            let kind = payload["error"]?["type"]?.stringValue ?? "error"
            throw ModelError(.server, "the stream carried an error (\(kind)): \(message)")
        default:
            break  // ping and future event types
        }
        return false
    }

    func finish() -> ChatResponse {
        var text = ""
        var calls: [ToolCall] = []
        for index in blocks.keys.sorted() {
            switch blocks[index] {
            case .text(let part): text += part
            case .toolUse(let id, let name, let json):
                calls.append(ToolCall(id: id.isEmpty ? "toolu_\(index)" : id, name: name, arguments: json.isEmpty ? "{}" : json))
            default: continue
            }
        }
        return ChatResponse(message: .assistant(text, toolCalls: calls), usage: usage, finishReason: stopReason, latency: 0)
    }
}

import Foundation
import PatchloopCore

/// A language model the agent can talk to: one request in, one assistant message out.
///
/// Providers (OpenAI-compatible, Anthropic, scripted, replay) each implement this in
/// their own adapter; no provider quirk leaks past it.
public protocol ChatModel: Sendable {
    /// The name recorded in trajectories and predictions (`provider:model`).
    var identifier: String { get }
    /// The price of this model's tokens, when known.
    var pricing: ModelPricing? { get }
    func complete(_ request: ChatRequest) async throws -> ChatResponse
    /// `complete`, cancelled (throwing `TimeLimitExceeded`) when it has taken `timeLimit`
    /// seconds of its own: a model that first waits for a slot of its endpoint starts the
    /// clock when the request is sent, not while it waits.
    func complete(_ request: ChatRequest, timeLimit: Double?) async throws -> ChatResponse
}

extension ChatModel {
    public var pricing: ModelPricing? { nil }

    public func complete(_ request: ChatRequest, timeLimit: Double?) async throws -> ChatResponse {
        try await withTimeLimit(timeLimit) { try await complete(request) }
    }
}

/// One message of a conversation, in a provider-neutral shape.
public struct ChatMessage: Sendable, Hashable {
    public enum Role: String, Sendable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String
    /// Tool calls an assistant message makes.
    public var toolCalls: [ToolCall]
    /// For a tool message: the id of the call it answers.
    public var toolCallID: String?
    /// For a tool message: the name of the tool that answered.
    public var name: String?

    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil, name: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }
    public static func assistant(_ text: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: text, toolCalls: toolCalls)
    }
    public static func tool(_ text: String, callID: String, name: String) -> ChatMessage {
        ChatMessage(role: .tool, content: text, toolCallID: callID, name: name)
    }

    /// Reads the trajectory's shape back (the inverse of `json`); arguments given as an
    /// object are kept as their JSON text.
    public init(json: JSONValue) throws {
        guard let roleText = json["role"]?.stringValue, let role = Role(rawValue: roleText) else {
            throw JSONParseError(message: "a message needs a role of system, user, assistant or tool")
        }
        var calls: [ToolCall] = []
        for (index, call) in (json["tool_calls"]?.arrayValue ?? []).enumerated() {
            let function = call["function"] ?? call
            let arguments = function["arguments"]
            calls.append(
                ToolCall(
                    id: call["id"]?.stringValue ?? "call_\(index)", name: function["name"]?.stringValue ?? "",
                    arguments: arguments?.stringValue ?? arguments?.encoded() ?? "{}"))
        }
        self.init(
            role: role, content: json["content"]?.stringValue ?? "", toolCalls: calls, toolCallID: json["tool_call_id"]?.stringValue,
            name: json["name"]?.stringValue)
    }

    /// The message as JSON, in the trajectory's shape (tool-call arguments as a JSON string).
    public var json: JSONValue {
        var object: [String: JSONValue] = ["role": .string(role.rawValue), "content": .string(content)]
        if !toolCalls.isEmpty { object["tool_calls"] = .array(toolCalls.map(\.json)) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let name { object["name"] = .string(name) }
        return .object(object)
    }
}

/// A call the model asks for: a tool name and its arguments as raw JSON text (as the
/// model wrote them: they may not parse, and that is the model's error to hear about).
public struct ToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    public init(id: String, name: String, arguments: JSONValue) {
        self.init(id: id, name: name, arguments: arguments.encoded())
    }

    public var json: JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]
    }
}

/// What the agent asks the model for.
public struct ChatRequest: Sendable {
    public var messages: [ChatMessage]
    public var tools: [ToolSpec]
    public var temperature: Double?
    public var maxOutputTokens: Int?

    public init(messages: [ChatMessage], tools: [ToolSpec], temperature: Double? = nil, maxOutputTokens: Int? = nil) {
        self.messages = messages
        self.tools = tools
        self.temperature = temperature
        self.maxOutputTokens = maxOutputTokens
    }
}

/// Token counts of one request (or a sum of them).
public struct TokenUsage: Sendable, Hashable, Codable {
    /// All input tokens, cached or not.
    public var inputTokens: Int
    public var outputTokens: Int
    /// The part of `inputTokens` read from the provider's prompt cache.
    public var cachedInputTokens: Int
    /// The part of `inputTokens` written to the provider's prompt cache.
    public var cacheWriteTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cachedInputTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
    }

    public var totalTokens: Int { inputTokens + outputTokens }

    /// Reads the trajectory's `usage` object.
    public init(json: JSONValue?) {
        self.init(
            inputTokens: json?["input_tokens"]?.intValue ?? 0, outputTokens: json?["output_tokens"]?.intValue ?? 0,
            cachedInputTokens: json?["cached_input_tokens"]?.intValue ?? 0, cacheWriteTokens: json?["cache_write_tokens"]?.intValue ?? 0)
    }

    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            inputTokens: lhs.inputTokens + rhs.inputTokens,
            outputTokens: lhs.outputTokens + rhs.outputTokens,
            cachedInputTokens: lhs.cachedInputTokens + rhs.cachedInputTokens,
            cacheWriteTokens: lhs.cacheWriteTokens + rhs.cacheWriteTokens)
    }

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens", outputTokens = "output_tokens"
        case cachedInputTokens = "cached_input_tokens", cacheWriteTokens = "cache_write_tokens"
    }

    /// A missing count is 0: older files have no `cache_write_tokens`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            inputTokens: try container.decodeIfPresent(Int.self, forKey: .inputTokens) ?? 0,
            outputTokens: try container.decodeIfPresent(Int.self, forKey: .outputTokens) ?? 0,
            cachedInputTokens: try container.decodeIfPresent(Int.self, forKey: .cachedInputTokens) ?? 0,
            cacheWriteTokens: try container.decodeIfPresent(Int.self, forKey: .cacheWriteTokens) ?? 0)
    }

    public var json: JSONValue {
        [
            "input_tokens": .number(Double(inputTokens)), "output_tokens": .number(Double(outputTokens)),
            "cached_input_tokens": .number(Double(cachedInputTokens)),
            "cache_write_tokens": .number(Double(cacheWriteTokens)),
        ]
    }
}

/// The model's answer to one request.
public struct ChatResponse: Sendable {
    public var message: ChatMessage
    public var usage: TokenUsage
    /// The provider's reason for stopping (`stop`, `tool_calls`, `length`, …).
    public var finishReason: String
    /// Seconds from sending the request to the last byte of the answer.
    public var latency: Double
    /// Requests that failed and were retried before this answer, in words (for the trajectory).
    public var retries: [String]
    /// The provider reported no usage, so `usage` is `TokenEstimator`'s estimate.
    public var usageIsEstimated = false
    /// How the reply's tool call was obtained — `native`, `text` or `constrained:MECHANISM`
    /// (e.g. `constrained:json_object`) — for the trajectory's step; nil means native.
    public var toolMode: String?
    /// Seconds the request waited for a free slot of the model's endpoint before it was sent.
    public var slotWait: Double = 0

    public init(message: ChatMessage, usage: TokenUsage, finishReason: String, latency: Double, retries: [String] = []) {
        self.message = message
        self.usage = usage
        self.finishReason = finishReason
        self.latency = latency
        self.retries = retries
    }
}

/// Prices in US dollars per million tokens.
public struct ModelPricing: Sendable, Hashable, Codable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    public var cachedInputPerMillion: Double?
    public var cacheWritePerMillion: Double?

    public init(inputPerMillion: Double, outputPerMillion: Double, cachedInputPerMillion: Double? = nil, cacheWritePerMillion: Double? = nil) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion
        self.cacheWritePerMillion = cacheWritePerMillion
    }

    /// The dollar cost of `usage`; cached and cache-write tokens at their own rates.
    public func cost(of usage: TokenUsage) -> Double {
        let cached = Double(usage.cachedInputTokens)
        let written = Double(usage.cacheWriteTokens)
        let plain = Double(max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens))
        let input = plain * inputPerMillion + cached * (cachedInputPerMillion ?? inputPerMillion)
            + written * (cacheWritePerMillion ?? inputPerMillion)
        return (input + Double(usage.outputTokens) * outputPerMillion) / 1_000_000
    }

    /// A model that costs nothing (scripted and local models).
    public static let free = ModelPricing(inputPerMillion: 0, outputPerMillion: 0)
}

/// The model could not answer; `isRetryable` tells whether asking again may help.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case authentication, rateLimited, contextTooLong, badRequest, notFound, server, transport, exhausted, invalidResponse
    }

    public var kind: Kind
    public var message: String
    /// Requests that failed and were retried before the final failure, in words.
    public var retries: [String]

    public init(_ kind: Kind, _ message: String, retries: [String] = []) {
        self.kind = kind
        self.message = message
        self.retries = retries
    }

    public var description: String { message }
}

import Foundation
import PatchloopCore
import PatchloopHTTP
import Synchronization

/// Where and how to reach a provider: shared by the adapters.
public struct ProviderEndpoint: Sendable {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`.
    public var baseURL: String
    /// The key, sent as the provider expects; nil for servers that need none.
    public var apiKey: String?
    /// Stream responses as Server-Sent Events (the default) or wait for the whole body.
    public var stream: Bool
    public var retry: RetryPolicy
    public var connectTimeout: Duration
    /// No byte for this long ends the request (a stalled stream).
    public var idleTimeout: Duration
    /// The longest a whole answer may take.
    public var totalTimeout: Duration?

    public init(
        baseURL: String, apiKey: String?, stream: Bool = true, retry: RetryPolicy = .standard, connectTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(120), totalTimeout: Duration? = .seconds(900)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.stream = stream
        self.retry = retry
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
    }
}

extension ProviderEndpoint {
    /// A JSON POST to `path` under the base URL, with this endpoint's timeouts.
    func jsonRequest(path: String, body: JSONValue) -> HTTPRequest {
        var request = HTTPRequest(
            url: baseURL + path, body: Data(body.encoded().utf8), connectTimeout: connectTimeout, totalTimeout: totalTimeout,
            idleTimeout: idleTimeout)
        request.setHeader("Content-Type", "application/json")
        return request
    }
}

/// OpenAI Chat Completions with tools — the hosted API (`openai:NAME`) and every server
/// that speaks it (`openai-compatible:NAME` with `--base-url`: vLLM, llama.cpp, Ollama,
/// OpenRouter). Streams by default, assembling tool-call deltas by `index`.
///
/// Server quirks handled here and nowhere else: an assistant message with tool calls is
/// sent with `content: ""` rather than `null` (llama.cpp's server rejects `null`); a
/// tool call without an id gets one; `stream_options` asks for the usage chunk.
public struct OpenAICompatibleModel: ChatModel {
    public let identifier: String
    public let modelName: String
    public let endpoint: ProviderEndpoint
    public let pricing: ModelPricing?
    /// `max_tokens` when the request sets none; nil leaves it to the server.
    public let maxOutputTokens: Int?
    let client: HTTPClient

    public init(
        identifier: String, modelName: String, endpoint: ProviderEndpoint, pricing: ModelPricing?, maxOutputTokens: Int? = nil,
        client: HTTPClient = HTTPClient()
    ) {
        self.maxOutputTokens = maxOutputTokens
        self.identifier = identifier
        self.modelName = modelName
        self.endpoint = endpoint
        self.pricing = pricing
        self.client = client
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var http = endpoint.jsonRequest(path: "/chat/completions", body: requestBody(request))
        if let key = endpoint.apiKey, !key.isEmpty { http.setHeader("Authorization", "Bearer \(key)") }
        return try await ProviderCall.perform(endpoint: endpoint, client: client, request: http) { body in
            try OpenAIWire.parseCompletion(try JSONValue.parse(body))
        } streamed: { retries in
            try await streamed(http, retries: retries)
        } failure: { error, retries in
            ProviderErrors.openAI(error, model: modelName, baseURL: endpoint.baseURL, retries: retries)
        }
    }

    /// The request as Chat Completions JSON.
    func requestBody(_ request: ChatRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(modelName),
            "messages": .array(request.messages.map(OpenAIWire.message)),
        ]
        if !request.tools.isEmpty { body["tools"] = .array(request.tools.map(\.json)) }
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

/// Collects the descriptions of the HTTP layer's retries during one request.
final class RetryLog: Sendable {
    private let list = Mutex<[String]>([])

    func add(_ event: RetryEvent) {
        note(event.description)
    }

    func note(_ text: String) {
        list.withLock { $0.append(text) }
    }

    var record: @Sendable (RetryEvent) -> Void {
        { [self] event in add(event) }
    }

    var entries: [String] { list.withLock { $0 } }
}

/// OpenAI's wire shapes, both ways.
enum OpenAIWire {
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

/// Turns HTTP failures into model errors that say what to do.
enum ProviderErrors {
    static let contextMarkers = [
        "context_length_exceeded", "maximum context length", "context length", "too many tokens", "prompt is too long",
        "exceeds the context window", "context window", "request too large", "n_ctx",
    ]

    static func openAI(_ error: HTTPError, model: String, baseURL: String, retries: [String]) -> ModelError {
        let message = error.serverMessage ?? ""
        let lowered = (message + " " + String(decoding: error.responseBody ?? Data(), as: UTF8.self)).lowercased()
        switch error.status {
        case 401:
            return ModelError(.authentication, "\(baseURL) rejected the API key (HTTP 401): \(message) — set OPENAI_API_KEY to a valid key", retries: retries)
        case 403:
            return ModelError(.authentication, "\(baseURL) refused access (HTTP 403): \(message) — the key has no access to model '\(model)'", retries: retries)
        case 404:
            return ModelError(.notFound, "\(baseURL) does not know model '\(model)' or the endpoint (HTTP 404): \(message) — check the model name and --base-url", retries: retries)
        case 429 where lowered.contains("insufficient_quota"):
            return ModelError(.exhausted, "the account behind the key has no quota left (HTTP 429 insufficient_quota): \(message) — add credit or use another key", retries: retries)
        case 429:
            return ModelError(.rateLimited, "rate limited by \(baseURL) (HTTP 429) after \(error.attempts) attempts: \(message) — wait, or lower --workers", retries: retries)
        case .some(let code) where (400...499).contains(code) && contextMarkers.contains(where: lowered.contains):
            return ModelError(.contextTooLong, "the conversation no longer fits model '\(model)''s context window (HTTP \(code)): \(message)", retries: retries)
        case .some(let code) where code >= 500:
            return ModelError(.server, "\(baseURL) failed (HTTP \(code)) after \(error.attempts) attempts: \(message)", retries: retries)
        case .some(let code):
            return ModelError(.badRequest, "\(baseURL) rejected the request (HTTP \(code)): \(message)", retries: retries)
        case nil:
            return ModelError(.transport, error.description, retries: retries)
        }
    }
}

/// One provider request with everything the adapters share: whole or streamed, a
/// broken stream asked for again, retries recorded, failures turned into model errors.
enum ProviderCall {
    static func perform(
        endpoint: ProviderEndpoint, client: HTTPClient, request: HTTPRequest, parse: (Data) throws -> ChatResponse,
        streamed: (RetryLog) async throws -> ChatResponse, failure: (HTTPError, [String]) -> ModelError
    ) async throws -> ChatResponse {
        let retries = RetryLog()
        let started = Date()
        var attempt = 1
        while true {
            do {
                var response: ChatResponse
                if endpoint.stream {
                    response = try await streamed(retries)
                } else {
                    response = try parse(try await client.send(request, retry: endpoint.retry, onRetry: retries.record).body)
                }
                response.latency = Date().timeIntervalSince(started)
                response.retries = retries.entries
                return response
            } catch let error where endpoint.stream && StreamRetry.isBrokenStream(error) && attempt <= endpoint.retry.maxRetries {
                // The HTTP layer retries only before the first byte; a stream that breaks
                // later is asked for again from the start.
                try await StreamRetry.wait(after: attempt, policy: endpoint.retry, error: error, log: retries)
                attempt += 1
            } catch let error as HTTPError {
                throw failure(error, retries.entries)
            } catch let error as JSONParseError {
                throw ModelError(.invalidResponse, "\(endpoint.baseURL) answered with something that is not JSON: \(error)", retries: retries.entries)
            } catch var error as ModelError {
                error.retries = retries.entries
                throw error
            }
        }
    }
}

/// Retrying a streamed answer that broke after it started.
enum StreamRetry {
    /// A stream cut off, stalled or ended without its final marker.
    static func isBrokenStream(_ error: any Error) -> Bool {
        if let error = error as? HTTPError {
            switch error.kind {
            case .connectionLost, .streamEndedEarly, .idleTimeout: return true
            default: return false
            }
        }
        if let error = error as? ModelError { return error.kind == .transport }
        return false
    }

    static func wait(after attempt: Int, policy: RetryPolicy, error: any Error, log: RetryLog) async throws {
        let (delay, _) = policy.delay(afterAttempt: attempt)
        log.note(String(format: "stream attempt %d of %d failed: %@; asking again in %.2f s", attempt, policy.maxRetries + 1, "\(error)", Double(delay.components.seconds) + Double(delay.components.attoseconds) * 1e-18))
        try await Task.sleep(for: delay)
    }
}

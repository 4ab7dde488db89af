import Foundation
import PatchloopCore
import PatchloopHTTP
import Synchronization

// What every provider adapter shares: where the provider is, one request with its
// retries, and one table of what its failures mean.

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

/// The one table that turns a provider's HTTP failures into model errors that say what to
/// do. OpenAI-compatible servers and Anthropic answer with the same statuses for the same
/// troubles; where only one uses a status (Anthropic's 529 "overloaded", a proxy's 413), the
/// row holds for both.
enum ProviderErrors {
    /// Words in a 4xx body that mean the conversation is longer than the model's window.
    static let contextMarkers = [
        "context_length_exceeded", "maximum context length", "context length", "too many tokens", "prompt is too long",
        "exceeds the context window", "context window", "request too large", "n_ctx",
    ]

    /// `keyVariable` is the environment variable the user sets the key in, for the hint.
    static func modelError(_ error: HTTPError, keyVariable: String, model: String, baseURL: String, retries: [String]) -> ModelError {
        let message = error.serverMessage ?? ""
        let lowered = (message + " " + String(decoding: error.responseBody ?? Data(), as: UTF8.self)).lowercased()
        let (kind, text): (ModelError.Kind, String)
        switch error.status {
        case 401:
            (kind, text) = (.authentication, "\(baseURL) rejected the API key (HTTP 401): \(message) — set \(keyVariable) to a valid key")
        case 403:
            (kind, text) = (.authentication, "\(baseURL) refused access (HTTP 403): \(message) — the key has no access to model '\(model)'")
        case 404:
            (kind, text) = (.notFound, "\(baseURL) does not know model '\(model)' or the endpoint (HTTP 404): \(message) — check the model name and --base-url")
        case 413:
            (kind, text) = (.contextTooLong, "the request is too large for \(baseURL) (HTTP 413): \(message)")
        case 429 where lowered.contains("insufficient_quota"):
            (kind, text) = (.exhausted, "the account behind the key has no quota left (HTTP 429 insufficient_quota): \(message) — add credit or use another key")
        case 429:
            (kind, text) = (.rateLimited, "rate limited by \(baseURL) (HTTP 429) after \(error.attempts) attempts: \(message) — wait, or lower --workers")
        case 529:
            (kind, text) = (.server, "\(baseURL) is overloaded (HTTP 529) after \(error.attempts) attempts: \(message) — try again later")
        case .some(let code) where (400...499).contains(code) && contextMarkers.contains(where: lowered.contains):
            (kind, text) = (.contextTooLong, "the conversation no longer fits model '\(model)''s context window (HTTP \(code)): \(message)")
        case .some(let code) where code >= 500:
            (kind, text) = (.server, "\(baseURL) failed (HTTP \(code)) after \(error.attempts) attempts: \(message)")
        case .some(let code):
            (kind, text) = (.badRequest, "\(baseURL) rejected the request (HTTP \(code)): \(message)")
        case nil:
            (kind, text) = (.transport, error.description)
        }
        return ModelError(kind, text, retries: retries)
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

import Foundation

/// A small async HTTP/1.1 and HTTP/2 client on libcurl, for JSON and Server-Sent-Events
/// APIs such as OpenAI's and Anthropic's.
///
/// ```swift
/// let client = HTTPClient()
/// var request = HTTPRequest(url: "http://127.0.0.1:8080/v1/chat/completions", body: json)
/// request.setHeader("Authorization", "Bearer \(key)")
/// let response = try await client.send(request, retry: .standard) { event in print(event) }
///
/// let stream = try await client.stream(request, retry: .standard)
/// for try await event in stream.events() where event.data != "[DONE]" { … }
/// ```
///
/// Each transfer runs on a thread of its own, never on Swift's cooperative pool, and hands
/// its result over through a continuation or an `AsyncThrowingStream`. Cancelling the
/// awaiting task (or dropping a stream's body) aborts the transfer within milliseconds.
/// A status of 400 or more is an `HTTPError` of kind `.status` that carries the body.
/// Idle connections are kept for reuse (`maxIdleConnections`), which saves the TCP and
/// TLS handshakes of the next request to the same host.
public final class HTTPClient: Sendable {
    private let pool: CurlHandlePool

    /// Makes a client. It may be shared by any number of concurrent tasks.
    public init(maxIdleConnections: Int = 8) {
        pool = CurlHandlePool(capacity: maxIdleConnections)
    }

    /// Sends a request and returns the complete response.
    ///
    /// - Parameters:
    ///   - retry: when to try again; `.none` (the default) makes one attempt.
    ///   - onRetry: called before each wait, with the attempt that failed and the delay.
    /// - Throws: `HTTPError`; of kind `.status` for a final status of 400 or more.
    public func send(
        _ request: HTTPRequest,
        retry: RetryPolicy = .none,
        onRetry: (@Sendable (RetryEvent) -> Void)? = nil
    ) async throws(HTTPError) -> HTTPResponse {
        try await withRetries(request, retry, onRetry) { () async -> Result<HTTPResponse, HTTPError> in
            await self.attemptBuffered(request)
        }
    }

    /// Sends a request and returns as soon as the response headers arrive; the body
    /// follows through `HTTPStreamResponse.body` (or `.events()` for Server-Sent Events).
    ///
    /// Retries happen only before the response is returned, that is before any body byte
    /// has reached the caller. After that, a failure surfaces from the body sequence and
    /// the caller decides. A status of 400 or more is read to the end (so the policy can
    /// inspect the body) and thrown as `HTTPError` of kind `.status`.
    public func stream(
        _ request: HTTPRequest,
        retry: RetryPolicy = .none,
        onRetry: (@Sendable (RetryEvent) -> Void)? = nil
    ) async throws(HTTPError) -> HTTPStreamResponse {
        try await withRetries(request, retry, onRetry) { () async -> Result<HTTPStreamResponse, HTTPError> in
            await self.attemptStreaming(request)
        }
    }

    // MARK: - One attempt

    private func prepare(_ request: HTTPRequest) -> Result<CurlTransfer, HTTPError> {
        switch RequestTarget.parse(request.url) {
        case .success(let target):
            return .success(CurlTransfer(request: request, target: target, pool: pool))
        case .failure(let reason):
            return .failure(
                HTTPError(kind: .invalidURL, method: request.method.uppercased(), url: request.url, host: "?", detail: reason.text)
            )
        }
    }

    private func attemptBuffered(_ request: HTTPRequest) async -> Result<HTTPResponse, HTTPError> {
        let transfer: CurlTransfer
        switch prepare(request) {
        case .success(let prepared): transfer = prepared
        case .failure(let error): return .failure(error)
        }
        do {
            let response = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    transfer.start(.buffered(continuation))
                }
            } onCancel: {
                transfer.cancel()
            }
            if response.status >= 400 {
                return .failure(statusError(response.status, response.headers, response.body, transfer))
            }
            return .success(response)
        } catch {
            return .failure(Self.httpError(error, transfer))
        }
    }

    private func attemptStreaming(_ request: HTTPRequest) async -> Result<HTTPStreamResponse, HTTPError> {
        let transfer: CurlTransfer
        switch prepare(request) {
        case .success(let prepared): transfer = prepared
        case .failure(let error): return .failure(error)
        }
        let (body, bodyContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        bodyContinuation.onTermination = { termination in
            // The consumer stopped listening (task cancelled, or the stream was dropped).
            if case .cancelled = termination { transfer.cancel() }
        }
        do {
            let head = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    transfer.start(.streaming(head: continuation, body: bodyContinuation))
                }
            } onCancel: {
                transfer.cancel()
            }
            if let errorBody = head.errorBody {
                return .failure(statusError(head.status, head.headers, errorBody, transfer))
            }
            let cancelled = HTTPError(
                kind: .cancelled, method: request.method.uppercased(), url: request.url,
                host: transfer.target.hostAndPort, detail: "cancelled while reading the body"
            )
            return .success(
                HTTPStreamResponse(
                    status: head.status, headers: head.headers,
                    body: HTTPResponseBody(chunks: body, cancelledError: cancelled),
                    cancel: { transfer.cancel() }
                )
            )
        } catch {
            return .failure(Self.httpError(error, transfer))
        }
    }

    private func statusError(_ status: Int, _ headers: [String: String], _ body: Data, _ transfer: CurlTransfer) -> HTTPError {
        HTTPError(
            kind: .status(status),
            method: transfer.request.method.uppercased(),
            url: transfer.request.url,
            host: transfer.target.hostAndPort,
            detail: "HTTP \(status)",
            responseHeaders: headers,
            responseBody: body
        )
    }

    private static func httpError(_ error: any Error, _ transfer: CurlTransfer) -> HTTPError {
        if let error = error as? HTTPError { return error }
        return HTTPError(
            kind: .transferFailed,
            method: transfer.request.method.uppercased(),
            url: transfer.request.url,
            host: transfer.target.hostAndPort,
            detail: String(describing: error)
        )
    }

    // MARK: - Retrying

    private func withRetries<Value>(
        _ request: HTTPRequest,
        _ policy: RetryPolicy,
        _ onRetry: (@Sendable (RetryEvent) -> Void)?,
        _ attempt: () async -> Result<Value, HTTPError>
    ) async throws(HTTPError) -> Value {
        let maxAttempts = policy.maxRetries + 1
        var number = 1
        while true {
            var failure: HTTPError
            switch await attempt() {
            case .success(let value): return value
            case .failure(let error): failure = error
            }
            failure.attempts = number
            guard number < maxAttempts, policy.shouldRetry(failure) else { throw failure }
            if Task.isCancelled { throw Self.cancelledWhileRetrying(failure) }
            let (delay, serverRequested) = policy.delay(afterAttempt: number, headers: failure.responseHeaders)
            let reason: RetryEvent.Reason = failure.status.map { .status($0) } ?? .failure(failure)
            onRetry?(
                RetryEvent(
                    attempt: number, maxAttempts: maxAttempts, reason: reason, delay: delay,
                    serverRequestedDelay: serverRequested, url: request.url
                )
            )
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw Self.cancelledWhileRetrying(failure)
            }
            number += 1
        }
    }

    private static func cancelledWhileRetrying(_ failure: HTTPError) -> HTTPError {
        var cancelled = failure
        cancelled.kind = .cancelled
        cancelled.detail = "cancelled while waiting to retry after: \(failure.description)"
        cancelled.responseHeaders = [:]
        cancelled.responseBody = nil
        return cancelled
    }
}

public import Foundation

/// A response whose headers have arrived and whose body is still coming.
///
/// Iterate `body` (raw chunks) or `events()` (Server-Sent Events) once, from one task.
/// The body ends normally when the server ends the response; it throws `HTTPError` when
/// the connection breaks (`.connectionLost`, `.streamEndedEarly`), goes silent
/// (`.idleTimeout`) or is cancelled (`.cancelled`: the iterating task was cancelled, or
/// `cancel()` was called). Whether a normal end was complete — an OpenAI stream ends
/// with `data: [DONE]`, an Anthropic one with `message_stop` — is for the protocol layer
/// above to judge. Dropping the response without reading it to the end aborts the
/// transfer. Chunks not yet read are buffered in memory, so read the body promptly.
public struct HTTPStreamResponse: Sendable {
    /// The status code (below 400; higher ones are thrown as `HTTPError`).
    public let status: Int
    /// Header fields with lower-cased names.
    public let headers: [String: String]
    /// The body, chunk by chunk as it arrives.
    public let body: HTTPResponseBody
    private let cancelTransfer: @Sendable () -> Void

    init(status: Int, headers: [String: String], body: HTTPResponseBody, cancel: @escaping @Sendable () -> Void) {
        self.status = status
        self.headers = headers
        self.body = body
        self.cancelTransfer = cancel
    }

    /// The header with this name, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The body parsed as Server-Sent Events.
    public func events() -> ServerSentEventStream {
        ServerSentEventStream(body: body)
    }

    /// Reads the rest of the body into memory.
    public func collectBody() async throws -> Data {
        var data = Data()
        for try await chunk in body { data.append(chunk) }
        return data
    }

    /// Aborts the transfer; the body then ends with an `HTTPError` of kind `.cancelled`.
    public func cancel() {
        cancelTransfer()
    }
}

/// The body of a streamed response: `Data` chunks in arrival order.
///
/// Unlike a bare `AsyncThrowingStream`, which ends quietly when the iterating task is
/// cancelled, this sequence then throws `HTTPError` of kind `.cancelled`, so a cancelled
/// stream can never be mistaken for one the server ended.
public struct HTTPResponseBody: AsyncSequence, Sendable {
    /// The chunks are `Data`.
    public typealias Element = Data

    private let chunks: AsyncThrowingStream<Data, any Error>
    private let cancelledError: HTTPError

    /// Wraps a stream of chunks; `cancelledError` is thrown when the iterating task is
    /// cancelled. Public so that protocol adapters can be tested without a server.
    public init(chunks: AsyncThrowingStream<Data, any Error>, cancelledError: HTTPError) {
        self.chunks = chunks
        self.cancelledError = cancelledError
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: chunks.makeAsyncIterator(), cancelledError: cancelledError)
    }

    /// Returns chunk after chunk.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: AsyncThrowingStream<Data, any Error>.AsyncIterator
        private let cancelledError: HTTPError

        init(base: AsyncThrowingStream<Data, any Error>.AsyncIterator, cancelledError: HTTPError) {
            self.base = base
            self.cancelledError = cancelledError
        }

        public mutating func next() async throws -> Data? {
            if let chunk = try await base.next() { return chunk }
            if Task.isCancelled { throw cancelledError }
            return nil
        }
    }
}

/// The Server-Sent Events of a streamed body, parsed as the chunks arrive.
///
/// Events are delivered as soon as the blank line that ends them has arrived. The
/// sequence ends when the body ends; an event left incomplete at that point is dropped,
/// as the SSE standard requires. Errors of the body are rethrown.
public struct ServerSentEventStream: AsyncSequence, Sendable {
    /// The events are `ServerSentEvent` values.
    public typealias Element = ServerSentEvent

    let body: HTTPResponseBody

    /// Makes a sequence over a response body.
    public init(body: HTTPResponseBody) {
        self.body = body
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator())
    }

    /// Pulls chunks from the body and returns one event at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: HTTPResponseBody.AsyncIterator
        private var parser = ServerSentEventParser()
        private var pending: [ServerSentEvent] = []
        private var pendingIndex = 0
        private var ended = false

        init(base: HTTPResponseBody.AsyncIterator) {
            self.base = base
        }

        public mutating func next() async throws -> ServerSentEvent? {
            while true {
                if pendingIndex < pending.count {
                    pendingIndex += 1
                    return pending[pendingIndex - 1]
                }
                if ended { return nil }
                guard let chunk = try await base.next() else {
                    ended = true
                    parser.finish()
                    return nil
                }
                pending = parser.parse(chunk)
                pendingIndex = 0
            }
        }
    }
}

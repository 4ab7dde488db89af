public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real HTTP/1.1 server on 127.0.0.1 for tests of HTTP and model clients.
///
/// It listens on an ephemeral port, serves each connection on a thread of its own (one
/// request per connection, answered with `Connection: close`), records every request,
/// and answers with whatever the handler returns — a complete response, a stream of
/// Server-Sent Events, a stream that stalls, or a connection reset part-way.
///
/// ```swift
/// let server = try FakeHTTPServer { request in
///     request.path == "/v1/chat/completions"
///         ? .openAIStream(["{\"choices\":[]}"])
///         : .json(#"{"error":{"message":"no such route"}}"#, status: 404)
/// }
/// defer { server.stop() }
/// let url = server.url("/v1/chat/completions")
/// ```
///
/// `stop()` closes the listener and every open connection and waits (boundedly) for the
/// connection threads; the server also stops when it is deallocated. Every wait inside it
/// is bounded, so a test that forgets a client cannot hang.
public final class FakeHTTPServer: Sendable {
    private let core: ServerCore

    /// The port the server listens on.
    public var port: Int { core.port }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(core.port)" }

    /// Starts a server that answers each request with `handler(request)`. The handler
    /// runs on the connection's thread and may block (it is not async).
    public init(handler: @escaping @Sendable (RecordedRequest) -> FakeResponse) throws {
        core = try ServerCore(handler: handler)
        core.startAccepting()
    }

    /// Starts a server that answers the n-th request with `responses[n]`, and every
    /// request after the last with the last one.
    public convenience init(responses: [FakeResponse]) throws {
        let next = Mutex(0)
        let fallback = FakeResponse.text("FakeHTTPServer was given no responses", status: 500)
        try self.init { _ in
            let index = next.withLock { value in
                defer { value += 1 }
                return value
            }
            return responses.isEmpty ? fallback : responses[min(index, responses.count - 1)]
        }
    }

    deinit {
        core.stop()
    }

    /// `baseURL` followed by `path` (which should start with `/`).
    public func url(_ path: String) -> String {
        baseURL + path
    }

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] {
        core.state.withLock { $0.requests }
    }

    /// Connections accepted and not yet closed (a stalled stream counts until the client
    /// goes away).
    public var openConnectionCount: Int {
        core.state.withLock { $0.openConnections.count }
    }

    /// When each chunk of a streamed response (a stall's prefix included) finished being
    /// written, in order, across all connections (for latency measurements).
    public var chunkWriteTimes: [ContinuousClock.Instant] {
        core.state.withLock { $0.chunkWriteTimes }
    }

    /// Stops listening, closes every open connection and waits up to 5 s for the
    /// connection threads to finish. Calling it again does nothing.
    public func stop() {
        core.stop()
    }
}

/// One request as the fake server received it.
public struct RecordedRequest: Sendable {
    /// The method, such as `POST`.
    public var method: String
    /// The request target as sent: path plus query, such as `/v1/chat/completions`.
    public var path: String
    /// Header fields in the order received, names as the client spelled them.
    public var headers: [(name: String, value: String)]
    /// The request body (empty when there was none).
    public var body: Data

    /// Makes a request value (mostly useful in tests of handlers).
    public init(method: String, path: String, headers: [(name: String, value: String)], body: Data) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The value of the first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body decoded as UTF-8.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }

    /// The body parsed as a JSON object, or `nil` when it is not one.
    public func jsonObject() -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

/// A piece of a streamed body, written after `delay`.
public struct FakeChunk: Sendable {
    /// The bytes of this chunk.
    public var bytes: Data
    /// How long to wait before writing it.
    public var delay: Duration

    /// A chunk of raw bytes.
    public init(_ bytes: Data, delay: Duration = .zero) {
        self.bytes = bytes
        self.delay = delay
    }

    /// A chunk of UTF-8 text.
    public init(_ text: String, delay: Duration = .zero) {
        self.init(Data(text.utf8), delay: delay)
    }
}

/// What the fake server does with a request: a complete response, an event stream, a
/// stall, or a reset part-way (see the static constructors).
public struct FakeResponse: Sendable {
    /// How a streamed body ends.
    public enum StreamEnding: Sendable {
        /// The last chunk is followed by the terminating zero-length chunk: a clean end.
        case complete
        /// The connection closes after the last chunk without the terminating chunk, so
        /// the client sees the body cut short.
        case abrupt
    }

    enum Behaviour: Sendable {
        case complete(Data)
        case stream([FakeChunk], StreamEnding)
        case stall(prefix: Data, maxStall: Duration)
        case noResponse(maxStall: Duration)
    }

    /// The status code.
    public var status: Int
    /// Header fields to send; framing headers (`Content-Length`, `Transfer-Encoding`,
    /// `Connection`) are added by the server unless present here.
    public var headers: [(name: String, value: String)]
    var behaviour: Behaviour
    var resetAfterBytes: Int?

    init(status: Int, headers: [(name: String, value: String)], behaviour: Behaviour) {
        self.status = status
        self.headers = headers
        self.behaviour = behaviour
    }

    /// A complete response with a `Content-Length`.
    public static func complete(status: Int = 200, headers: [(name: String, value: String)] = [], body: Data = Data()) -> FakeResponse {
        FakeResponse(status: status, headers: headers, behaviour: .complete(body))
    }

    /// A complete `application/json` response.
    public static func json(_ json: String, status: Int = 200, headers: [(name: String, value: String)] = []) -> FakeResponse {
        complete(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(json.utf8))
    }

    /// A complete `text/plain` response.
    public static func text(_ text: String, status: Int = 200, headers: [(name: String, value: String)] = []) -> FakeResponse {
        complete(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Data(text.utf8))
    }

    /// A `text/event-stream` body sent with chunked transfer encoding, one HTTP chunk per
    /// `FakeChunk` (each after its delay). The chunks are raw bytes: an event may span
    /// several of them, or one chunk may hold several events.
    public static func serverSentEvents(
        _ chunks: [FakeChunk],
        status: Int = 200,
        headers: [(name: String, value: String)] = [],
        ending: StreamEnding = .complete
    ) -> FakeResponse {
        FakeResponse(status: status, headers: eventStreamHeaders + headers, behaviour: .stream(chunks, ending))
    }

    /// An OpenAI-style stream: one `data: <json>\n\n` event per element, each after
    /// `delay`, then `data: [DONE]\n\n` unless `done` is false (a stream that ends cleanly
    /// at the HTTP level without the final marker).
    public static func openAIStream(_ dataPayloads: [String], delay: Duration = .zero, done: Bool = true) -> FakeResponse {
        var chunks = dataPayloads.map { FakeChunk("data: \($0)\n\n", delay: delay) }
        if done { chunks.append(FakeChunk("data: [DONE]\n\n", delay: delay)) }
        return serverSentEvents(chunks)
    }

    /// Sends the status line, the headers and `prefix` (as one chunk of a chunked body),
    /// then nothing: the connection stays open until the client gives up, the server
    /// stops, or `maxStall` passes.
    public static func stall(
        status: Int = 200,
        headers: [(name: String, value: String)] = eventStreamHeaders,
        sending prefix: String = "",
        upTo maxStall: Duration = .seconds(30)
    ) -> FakeResponse {
        FakeResponse(status: status, headers: headers, behaviour: .stall(prefix: Data(prefix.utf8), maxStall: maxStall))
    }

    /// Reads the request and never answers; the connection stays open until the client
    /// gives up, the server stops, or `maxStall` passes.
    public static func noResponse(upTo maxStall: Duration = .seconds(30)) -> FakeResponse {
        FakeResponse(status: 0, headers: [], behaviour: .noResponse(maxStall: maxStall))
    }

    /// `response`, cut after its first `bytes` bytes on the wire (status line and headers
    /// included) by a TCP reset: `SO_LINGER` 0 and `close`.
    public static func reset(afterBytes bytes: Int, of response: FakeResponse) -> FakeResponse {
        var copy = response
        copy.resetAfterBytes = max(0, bytes)
        return copy
    }

    /// `Content-Type: text/event-stream` and `Cache-Control: no-cache`.
    public static let eventStreamHeaders: [(name: String, value: String)] = [
        ("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
    ]
}

/// Why the fake server could not start.
public struct FakeHTTPServerError: Error, CustomStringConvertible {
    /// What failed, with the system's reason.
    public var description: String
}

// MARK: - Implementation

/// The listener and its connections. Separate from `FakeHTTPServer` so that threads can
/// hold it while the public object is still free to be deallocated (and stop it).
private final class ServerCore: Sendable {
    struct State {
        var stopping = false
        var openConnections: Set<Int32> = []
        var runningThreads = 0
        var requests: [RecordedRequest] = []
        var chunkWriteTimes: [ContinuousClock.Instant] = []
    }

    let port: Int
    let state = Mutex(State())
    private let listener: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let handler: @Sendable (RecordedRequest) -> FakeResponse
    private let closed = Mutex(false)

    private static let maxHeaderBytes = 64 * 1024
    private static let maxBodyBytes = 64 * 1024 * 1024
    private static let readTimeoutMilliseconds: Int32 = 10_000

    init(handler: @escaping @Sendable (RecordedRequest) -> FakeResponse) throws {
        self.handler = handler
        signal(SIGPIPE, SIG_IGN)

        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            throw FakeHTTPServerError(description: "FakeHTTPServer: pipe failed: \(Self.errnoText())")
        }
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        _ = fcntl(wakeRead, F_SETFD, FD_CLOEXEC)
        _ = fcntl(wakeWrite, F_SETFD, FD_CLOEXEC)

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw FakeHTTPServerError(description: "FakeHTTPServer: socket failed: \(Self.errnoText())")
        }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 128) == 0 else {
            let reason = Self.errnoText()
            close(fd)
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw FakeHTTPServerError(description: "FakeHTTPServer: cannot listen on 127.0.0.1: \(reason)")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func startAccepting() {
        state.withLock { $0.runningThreads += 1 }
        let thread = Thread { [self] in
            acceptLoop()
            state.withLock { $0.runningThreads -= 1 }
        }
        thread.name = "fake-http-accept"
        thread.start()
    }

    func stop() {
        let firstCall = closed.withLock { done in
            defer { done = true }
            return !done
        }
        guard firstCall else { return }
        state.withLock { state in
            state.stopping = true
            for fd in state.openConnections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        // Bounded wait for the accept and connection threads (5 s at most).
        for _ in 0..<500 {
            if state.withLock({ $0.runningThreads }) == 0 { break }
            usleep(10_000)
        }
        close(listener)
        // The pipe stays open if a thread is somehow still running, since it may poll it.
        if state.withLock({ $0.runningThreads }) == 0 {
            close(wakeRead)
            close(wakeWrite)
        }
    }

    private var isStopping: Bool {
        state.withLock { $0.stopping }
    }

    // MARK: Accepting

    private func acceptLoop() {
        while !isStopping {
            var fds = [
                pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, 1000)
            if ready <= 0 || fds[1].revents != 0 { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let admitted = state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.openConnections.insert(client)
                state.runningThreads += 1
                return true
            }
            guard admitted else {
                close(client)
                break
            }
            let thread = Thread { [self] in
                serve(client)
                state.withLock { state in
                    state.openConnections.remove(client)
                    close(client)
                    state.runningThreads -= 1
                }
            }
            thread.name = "fake-http-connection"
            thread.start()
        }
    }

    // MARK: One connection

    private func serve(_ fd: Int32) {
        guard let request = readRequest(fd) else { return }
        state.withLock { $0.requests.append(request) }
        let response = handler(request)
        var writer = ConnectionWriter(fd: fd, budget: response.resetAfterBytes)

        switch response.behaviour {
        case .noResponse(let maxStall):
            waitForClientToLeave(fd, upTo: maxStall)
            return
        case .complete(let body):
            var head = response.headers
            if !Self.has(head, "Content-Length") { head.append(("Content-Length", String(body.count))) }
            if !Self.has(head, "Connection") { head.append(("Connection", "close")) }
            guard writer.write(Self.head(response.status, head)) else { return }
            if request.method != "HEAD" {
                guard writer.write(body) else { return }
            }
        case .stream(let chunks, let ending):
            guard writer.write(Self.head(response.status, Self.chunkedHeaders(response.headers))) else { return }
            for chunk in chunks {
                if chunk.delay > .zero, pause(chunk.delay) { return }
                guard chunk.bytes.isEmpty || writer.write(Self.chunkFrame(chunk.bytes)) else { return }
                let written = ContinuousClock.now
                state.withLock { $0.chunkWriteTimes.append(written) }
            }
            if ending == .complete {
                guard writer.write(Data("0\r\n\r\n".utf8)) else { return }
            }
        case .stall(let prefix, let maxStall):
            guard writer.write(Self.head(response.status, Self.chunkedHeaders(response.headers))) else { return }
            if !prefix.isEmpty {
                guard writer.write(Self.chunkFrame(prefix)) else { return }
                let written = ContinuousClock.now
                state.withLock { $0.chunkWriteTimes.append(written) }
            }
            waitForClientToLeave(fd, upTo: maxStall)
        }
    }

    /// Sleeps for `duration`; returns `true` if the server is stopping.
    private func pause(_ duration: Duration) -> Bool {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        let milliseconds = Int32(min(Double(Int32.max), max(0, duration.secondsValue * 1000)))
        return poll(&fds, 1, milliseconds) > 0 || isStopping
    }

    /// Waits until the client closes its end, the server stops, or `limit` passes.
    private func waitForClientToLeave(_ fd: Int32, upTo limit: Duration) {
        let deadline = ContinuousClock.now + limit
        var scratch = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline, !isStopping {
            var fds = [
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let remaining = (deadline - ContinuousClock.now).secondsValue
            let ready = poll(&fds, 2, Int32(max(1, min(1000, remaining * 1000))))
            if ready <= 0 { continue }
            if fds[1].revents != 0 { return }
            if fds[0].revents & (Int16(POLLHUP) | Int16(POLLERR)) != 0 { return }
            if fds[0].revents & Int16(POLLIN) != 0 {
                // Readable with nothing to read means the client closed its end.
                let count = recv(fd, &scratch, scratch.count, 0)
                if count <= 0 { return }
            }
        }
    }

    private func readRequest(_ fd: Int32) -> RecordedRequest? {
        var buffer: [UInt8] = []
        var headerEnd: Int?
        while headerEnd == nil {
            guard buffer.count < Self.maxHeaderBytes, receive(fd, into: &buffer) else { return nil }
            headerEnd = Self.find([13, 10, 13, 10], in: buffer)
        }
        guard let headerEnd else { return nil }
        let headerText = String(decoding: buffer[..<headerEnd], as: UTF8.self)
        var lines = headerText.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let request = RecordedRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Data())
        if request.header("Expect")?.lowercased() == "100-continue" {
            var writer = ConnectionWriter(fd: fd, budget: nil)
            _ = writer.write(Data("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        let expected = Int(request.header("Content-Length") ?? "0") ?? 0
        guard expected >= 0, expected <= Self.maxBodyBytes else { return nil }
        var body = Array(buffer[(headerEnd + 4)...])
        while body.count < expected {
            guard receive(fd, into: &body) else { return nil }
        }
        var complete = request
        complete.body = Data(body.prefix(expected))
        return complete
    }

    /// Appends what the socket has (waiting up to the read timeout); `false` on EOF,
    /// error, timeout or stop.
    private func receive(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        guard poll(&fds, 2, Self.readTimeoutMilliseconds) > 0, fds[1].revents == 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    // MARK: Formatting

    private static func head(_ status: Int, _ headers: [(name: String, value: String)]) -> Data {
        var text = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Data(text.utf8)
    }

    private static func chunkedHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var result = headers
        if !has(result, "Transfer-Encoding") && !has(result, "Content-Length") {
            result.append(("Transfer-Encoding", "chunked"))
        }
        if !has(result, "Connection") { result.append(("Connection", "close")) }
        return result
    }

    private static func chunkFrame(_ bytes: Data) -> Data {
        var frame = Data(String(bytes.count, radix: 16).utf8)
        frame.append(contentsOf: [13, 10])
        frame.append(bytes)
        frame.append(contentsOf: [13, 10])
        return frame
    }

    private static func has(_ headers: [(name: String, value: String)], _ name: String) -> Bool {
        headers.contains { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 529: "Overloaded"
        default: "Status"
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// Writes to a connection, optionally cutting it with a TCP reset after a byte budget.
private struct ConnectionWriter {
    let fd: Int32
    var budget: Int?
    private var wasReset = false

    init(fd: Int32, budget: Int?) {
        self.fd = fd
        self.budget = budget
    }

    /// Writes all of `data`, or as much as the budget allows; `false` once the budget is
    /// spent (the connection has then been reset) or the peer is gone.
    mutating func write(_ data: Data) -> Bool {
        guard !wasReset else { return false }
        var bytes = data
        var budgetSpent = false
        if let remaining = budget {
            if bytes.count >= remaining {
                bytes = bytes.prefix(remaining)
                budgetSpent = true
            }
            budget = remaining - bytes.count
        }
        let sent = bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let count = send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        if budgetSpent {
            reset()
            return false
        }
        return sent
    }

    private mutating func reset() {
        wasReset = true
        var lingerOption = linger(l_onoff: 1, l_linger: 0)
        // The owner closes the descriptor; with linger 0 that close sends the RST.
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lingerOption, socklen_t(MemoryLayout<linger>.size))
    }
}

extension Duration {
    fileprivate var secondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

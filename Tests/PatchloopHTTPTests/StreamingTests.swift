import Foundation
import PatchloopHTTP
import PatchloopTesting
import Testing

@Suite("HTTPClient streaming")
struct StreamingTests {
    let client = HTTPClient()

    /// A stream with everything a parser can trip on: CRLF and LF, comments, multi-line
    /// data, named events, ids, a field without a space, and non-ASCII text.
    static let eventStreamText =
        ": keep-alive comment\r\n"
        + "event: message_start\r\ndata: {\"type\":\"message_start\"}\r\n\r\n"
        + "id: 7\ndata: first line\ndata: second line\n\n"
        + "data:no-space ünïcødé ✓\n\n"
        + "event: ping\ndata: {}\n\n"
        + ":another comment\n"
        + "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n"
        + "data: [DONE]\n\n"

    static let expectedEvents = [
        ServerSentEvent(event: "message_start", data: #"{"type":"message_start"}"#),
        ServerSentEvent(data: "first line\nsecond line", id: "7"),
        ServerSentEvent(data: "no-space ünïcødé ✓"),
        ServerSentEvent(event: "ping", data: "{}"),
        ServerSentEvent(data: #"{"choices":[{"delta":{"content":"Hi"}}]}"#),
        ServerSentEvent(data: "[DONE]"),
    ]

    /// Splits `bytes` at pseudo-random points (deterministic per seed).
    static func split(_ bytes: [UInt8], seed: UInt64, maxPiece: Int) -> [FakeChunk] {
        var state = seed
        var chunks: [FakeChunk] = []
        var index = 0
        while index < bytes.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let size = 1 + Int((state >> 33) % UInt64(maxPiece))
            let end = min(bytes.count, index + size)
            chunks.append(FakeChunk(Data(bytes[index..<end]), delay: .milliseconds(1)))
            index = end
        }
        return chunks
    }

    @Test(arguments: [(1, 1), (2, 3), (3, 7), (4, 40)])
    func eventsAreAssembledAcrossArbitraryChunkSplits(seed: Int, maxPiece: Int) async throws {
        let chunks = Self.split(Array(Self.eventStreamText.utf8), seed: UInt64(seed), maxPiece: maxPiece)
        let server = try FakeHTTPServer { _ in .serverSentEvents(chunks) }
        defer { server.stop() }

        let response = try await client.stream(HTTPRequest(url: server.url("/v1/messages")))
        var events: [ServerSentEvent] = []
        for try await event in response.events() { events.append(event) }

        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/event-stream")
        #expect(events == Self.expectedEvents)
    }

    @Test func headersArriveBeforeTheBody() async throws {
        let server = try FakeHTTPServer { _ in
            // A wide margin: on a loaded 2-core machine (the full suite runs many test processes
            // at once) the call can take well over half a second to come back.
            .serverSentEvents([FakeChunk("data: late\n\n", delay: .milliseconds(2500))], headers: [("X-Request-Id", "abc")])
        }
        defer { server.stop() }
        let start = ContinuousClock.now

        let response = try await client.stream(HTTPRequest(url: server.url("/stream")))
        let returnedAt = ContinuousClock.now

        // The call returned before the server wrote the (delayed) body.
        #expect(server.chunkWriteTimes.allSatisfy { $0 > returnedAt })
        #expect(response.status == 200)
        #expect(response.header("x-request-id") == "abc")
        let body = try await response.collectBody()
        #expect(String(decoding: body, as: UTF8.self) == "data: late\n\n")
        #expect(secondsSince(start) >= 2.45)
        #expect(server.chunkWriteTimes.contains { $0 > returnedAt })
    }

    @Test func connectionResetMidStreamThrowsAfterTheEventsBeforeIt() async throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        let firstFrame = "e\r\ndata: {\"a\":1}\n\n\r\n"
        let stream = FakeResponse.openAIStream(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"], delay: .milliseconds(50))
        // Cut in the middle of the second event's frame.
        let server = try FakeHTTPServer { _ in .reset(afterBytes: head.utf8.count + firstFrame.utf8.count + 8, of: stream) }
        defer { server.stop() }
        let start = ContinuousClock.now

        let response = try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")))
        var events: [String] = []
        var thrown: (any Error)?
        do {
            for try await event in response.events() { events.append(event.data) }
        } catch {
            thrown = error
        }

        #expect(events == [#"{"a":1}"#])
        let error = try #require(thrown as? HTTPError)
        #expect(error.kind == .connectionLost)
        #expect(error.description.contains("connection reset by peer"))
        #expect(secondsSince(start) < 2)
    }

    @Test func resetBeforeTheHeadersFailsTheStreamCall() async throws {
        let server = try FakeHTTPServer { _ in .reset(afterBytes: 10, of: .openAIStream(["{}"])) }
        defer { server.stop() }

        let error = await expectHTTPError { try await client.stream(HTTPRequest(url: server.url("/s"))) }

        #expect(error?.kind == .connectionLost)
    }

    @Test func streamEndingWithoutDoneEndsNormallySoTheCallerCanTell() async throws {
        let server = try FakeHTTPServer { _ in .openAIStream(["{\"a\":1}", "{\"b\":2}"], done: false) }
        defer { server.stop() }

        let response = try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")))
        var events: [String] = []
        for try await event in response.events() { events.append(event.data) }

        #expect(events == [#"{"a":1}"#, #"{"b":2}"#])
        #expect(events.last != "[DONE]")
    }

    @Test func streamCutBeforeItsFramingEndsThrowsStreamEndedEarly() async throws {
        let server = try FakeHTTPServer { _ in
            .serverSentEvents([FakeChunk("data: {\"a\":1}\n\n"), FakeChunk("data: {\"b\"")], ending: .abrupt)
        }
        defer { server.stop() }

        let response = try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")))
        var events: [String] = []
        var thrown: (any Error)?
        do {
            for try await event in response.events() { events.append(event.data) }
        } catch {
            thrown = error
        }

        #expect(events == [#"{"a":1}"#])
        #expect((thrown as? HTTPError)?.kind == .streamEndedEarly)
    }

    @Test func idleTimeoutFiresOnAStalledStreamWithinHalfASecond() async throws {
        let server = try FakeHTTPServer { _ in .stall(sending: "data: {\"a\":1}\n\n") }
        defer { server.stop() }
        var request = HTTPRequest(url: server.url("/v1/chat/completions"))
        request.idleTimeout = .seconds(1)

        let response = try await client.stream(request)
        var thrown: (any Error)?
        do {
            for try await _ in response.events() {}
        } catch {
            thrown = error
        }

        // Measured from the server's last write: the consumer may see the event later.
        let lastWrite = try #require(server.chunkWriteTimes.last)
        let silence = secondsSince(lastWrite)
        let error = try #require(thrown as? HTTPError)
        #expect(error.kind == .idleTimeout)
        #expect(error.description.contains("no data from 127.0.0.1:\(server.port) for 1 s (idle timeout)"))
        #expect(silence >= 0.95 && silence < 5, "failed after \(silence) s of silence")
        #expect(await eventually { server.openConnectionCount == 0 })
    }

    @Test func cancellingTheConsumingTaskAbortsAStalledStreamPromptly() async throws {
        let server = try FakeHTTPServer { _ in .stall(sending: "data: {\"a\":1}\n\n") }
        defer { server.stop() }
        let client = self.client
        let firstEvent = AsyncStream<Void>.makeStream()
        let task = Task {
            let response = try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")))
            var count = 0
            for try await _ in response.events() {
                count += 1
                firstEvent.continuation.yield()
            }
            return count
        }
        var iterator = firstEvent.stream.makeAsyncIterator()
        _ = await iterator.next()
        let cancelledAt = ContinuousClock.now

        task.cancel()
        let result = await task.result

        #expect(secondsSince(cancelledAt) < 3)
        #expect(failureKind(result) == .cancelled)
        #expect(await eventually(timeout: 1) { server.openConnectionCount == 0 })
    }

    @Test func cancellingWhileWaitingForHeadersAbortsPromptly() async throws {
        let server = try FakeHTTPServer { _ in .noResponse(upTo: .seconds(10)) }
        defer { server.stop() }
        let client = self.client
        let task = Task { try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions"))) }
        #expect(await eventually { server.requests.count == 1 })
        let cancelledAt = ContinuousClock.now

        task.cancel()
        let result = await task.result

        #expect(secondsSince(cancelledAt) < 3)
        #expect(failureKind(result) == .cancelled)
        #expect(await eventually(timeout: 1) { server.openConnectionCount == 0 })
    }

    @Test func droppingAnUnreadStreamAbortsTheTransfer() async throws {
        let server = try FakeHTTPServer { _ in .stall(sending: "data: {}\n\n") }
        defer { server.stop() }

        do {
            let response = try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")))
            #expect(response.status == 200)
        }

        #expect(await eventually(timeout: 1) { server.openConnectionCount == 0 })
    }

    @Test func explicitCancelEndsTheBodyWithCancelled() async throws {
        let server = try FakeHTTPServer { _ in .stall(sending: "data: {}\n\n") }
        defer { server.stop() }
        let response = try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")))

        response.cancel()
        var thrown: (any Error)?
        do {
            for try await _ in response.body {}
        } catch {
            thrown = error
        }

        #expect((thrown as? HTTPError)?.kind == .cancelled)
    }
}

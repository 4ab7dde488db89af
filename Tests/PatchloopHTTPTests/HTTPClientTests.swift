import Foundation
import PatchloopHTTP
import PatchloopTesting
import Testing

@Suite("HTTPClient requests")
struct HTTPClientTests {
    let client = HTTPClient()

    @Test func postSendsHeadersAndJSONBodyAndReturnsTheResponse() async throws {
        let server = try FakeHTTPServer { request in
            .json(#"{"received":\#(request.body.count)}"#, headers: [("X-Request-Id", "req_123"), ("Set-Thing", "a"), ("set-thing", "b")])
        }
        defer { server.stop() }
        let payload = Data(#"{"model":"m","messages":[{"role":"user","content":"héllo"}]}"#.utf8)
        let request = HTTPRequest(
            url: server.url("/v1/chat/completions"),
            headers: [("Authorization", "Bearer sk-test"), ("X-Custom", "1")],
            body: payload
        )

        let response = try await client.send(request)

        #expect(response.status == 200)
        #expect(response.headers["x-request-id"] == "req_123")
        #expect(response.header("X-Request-ID") == "req_123")
        #expect(response.headers["set-thing"] == "a, b")
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.bodyText == #"{"received":\#(payload.count)}"#)
        let recorded = try #require(server.requests.first)
        #expect(recorded.method == "POST")
        #expect(recorded.path == "/v1/chat/completions")
        #expect(recorded.header("authorization") == "Bearer sk-test")
        #expect(recorded.header("X-Custom") == "1")
        #expect(recorded.header("Content-Type") == "application/json")
        #expect(recorded.header("Content-Length") == String(payload.count))
        #expect(recorded.header("Expect") == nil)
        #expect(recorded.body == payload)
        #expect((recorded.jsonObject()?["model"] as? String) == "m")
    }

    @Test func getSendsNoBodyAndKeepsTheQuery() async throws {
        let server = try FakeHTTPServer { _ in .json(#"{"data":[{"id":"m1"}]}"#) }
        defer { server.stop() }

        let response = try await client.send(HTTPRequest(url: server.url("/v1/models?limit=2"), method: "GET"))

        #expect(response.status == 200)
        #expect(response.bodyText.contains("m1"))
        let recorded = try #require(server.requests.first)
        #expect(recorded.method == "GET")
        #expect(recorded.path == "/v1/models?limit=2")
        #expect(recorded.body.isEmpty)
        #expect(recorded.header("Content-Type") == nil)
    }

    @Test func emptyPostSendsNoFormContentType() async throws {
        let server = try FakeHTTPServer { _ in .text("ok") }
        defer { server.stop() }

        _ = try await client.send(HTTPRequest(url: server.url("/v1/reset")))

        let recorded = try #require(server.requests.first)
        #expect(recorded.method == "POST")
        #expect(recorded.header("Content-Length") == "0")
        #expect(recorded.header("Content-Type") == nil)
    }

    @Test func bodyWithNULBytesIsSentWhole() async throws {
        let server = try FakeHTTPServer { _ in .text("ok") }
        defer { server.stop() }
        let payload = Data([0x7B, 0x00, 0x01, 0x00, 0xFF, 0x7D])

        _ = try await client.send(
            HTTPRequest(url: server.url("/upload"), headers: [("Content-Type", "application/octet-stream")], body: payload)
        )

        #expect(server.requests.first?.body == payload)
        #expect(server.requests.first?.header("Content-Type") == "application/octet-stream")
    }

    @Test func largeBodyIsSentWithoutWaitingForContinue() async throws {
        let server = try FakeHTTPServer { request in .text(String(request.body.count)) }
        defer { server.stop() }
        let payload = Data(repeating: UInt8(ascii: "a"), count: 3 * 1024 * 1024)
        let start = ContinuousClock.now

        let response = try await client.send(HTTPRequest(url: server.url("/big"), body: payload))

        #expect(response.bodyText == String(payload.count))
        #expect(server.requests.first?.header("Expect") == nil)
    }

    @Test func otherMethodsAreSentAsGiven() async throws {
        let server = try FakeHTTPServer { request in .text(request.method) }
        defer { server.stop() }

        let deleted = try await client.send(HTTPRequest(url: server.url("/files/1"), method: "DELETE"))
        let patched = try await client.send(HTTPRequest(url: server.url("/files/1"), method: "PATCH", body: Data("{}".utf8)))

        #expect(deleted.bodyText == "DELETE")
        #expect(patched.bodyText == "PATCH")
        #expect(server.requests.last?.bodyText == "{}")
    }

    @Test func connectionRefusedSaysWhereAndWhatToDo() async throws {
        let url = try closedPortURL()

        let error = await expectHTTPError { try await client.send(HTTPRequest(url: url)) }

        #expect(error?.kind == .connectionFailed)
        let host = try #require(URLComponents(string: url)).port.map { "127.0.0.1:\($0)" } ?? ""
        #expect(error?.host == host)
        #expect(error?.description == "could not connect to \(host): connection refused — is the server running? check --base-url")
    }

    @Test(arguments: ["ftp://127.0.0.1/file", "127.0.0.1:8080/v1", "http://", "not a url"])
    func invalidURLIsRejectedBeforeConnecting(url: String) async {
        let error = await expectHTTPError { try await client.send(HTTPRequest(url: url)) }

        #expect(error?.kind == .invalidURL)
        #expect(error?.description.contains("check --base-url") == true)
    }

    @Test func errorDescriptionsLeaveOutQueryAndUserInformation() async throws {
        let server = try FakeHTTPServer { _ in .json(#"{"error":{"message":"nope"}}"#, status: 403) }
        defer { server.stop() }
        let url = "http://user:secret@127.0.0.1:\(server.port)/v1/models?key=sk-secret#frag"

        let error = await expectHTTPError { try await client.send(HTTPRequest(url: url, method: "GET")) }

        #expect(error?.displayURL == "http://127.0.0.1:\(server.port)/v1/models")
        #expect(error?.description.contains("secret") == false)
        #expect(error?.description.contains("nope") == true)
    }

    @Test func headerWithLineBreakIsRejected() async throws {
        let server = try FakeHTTPServer { _ in .text("ok") }
        defer { server.stop() }

        let error = await expectHTTPError {
            try await client.send(HTTPRequest(url: server.url("/"), headers: [("X-Evil", "a\r\nHost: other")]))
        }

        #expect(error?.kind == .invalidRequest)
        #expect(server.requests.isEmpty)
    }

    @Test func totalTimeoutStopsASilentServer() async throws {
        let server = try FakeHTTPServer { _ in .noResponse(upTo: .seconds(10)) }
        defer { server.stop() }
        let start = ContinuousClock.now

        let error = await expectHTTPError {
            try await client.send(HTTPRequest(url: server.url("/slow"), totalTimeout: .seconds(1)))
        }

        let elapsed = secondsSince(start)
        #expect(error?.kind == .timedOut)
        #expect(error?.description.contains("timed out") == true)
        #expect(elapsed >= 0.95 && elapsed < 5, "took \(elapsed) s")
    }

    @Test func idleTimeoutStopsASilentServer() async throws {
        let server = try FakeHTTPServer { _ in .noResponse(upTo: .seconds(10)) }
        defer { server.stop() }
        let start = ContinuousClock.now

        let error = await expectHTTPError {
            try await client.send(HTTPRequest(url: server.url("/slow"), idleTimeout: .milliseconds(700)))
        }

        let elapsed = secondsSince(start)
        #expect(error?.kind == .idleTimeout)
        #expect(elapsed >= 0.65 && elapsed < 5, "took \(elapsed) s")
    }

    @Test func cancellingTheTaskAbortsAStalledRequestPromptly() async throws {
        let server = try FakeHTTPServer { _ in .noResponse(upTo: .seconds(10)) }
        defer { server.stop() }
        let client = self.client
        let task = Task { try await client.send(HTTPRequest(url: server.url("/slow"))) }
        #expect(await eventually { server.requests.count == 1 })
        let cancelledAt = ContinuousClock.now

        task.cancel()
        let result = await task.result

        #expect(secondsSince(cancelledAt) < 3)
        #expect(failureKind(result) == .cancelled)
        #expect(await eventually { server.openConnectionCount == 0 })
    }

    @Test func alreadyCancelledTaskSendsNothing() async throws {
        let server = try FakeHTTPServer { _ in .text("ok") }
        defer { server.stop() }
        let client = self.client

        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.send(HTTPRequest(url: server.url("/")))
        }
        let result = await task.result

        #expect(failureKind(result) == .cancelled)
    }

    @Test func concurrentRequestsAllComplete() async throws {
        let server = try FakeHTTPServer { request in .text(request.path) }
        defer { server.stop() }
        let client = self.client

        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 {
                group.addTask { try await client.send(HTTPRequest(url: server.url("/\(index)"), method: "GET")).bodyText }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }

        #expect(bodies == Set((0..<40).map { "/\($0)" }))
    }
}


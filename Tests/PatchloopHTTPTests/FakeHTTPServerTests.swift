import Foundation
import PatchloopHTTP
import PatchloopTesting
import Testing

@Suite("FakeHTTPServer")
struct FakeHTTPServerTests {
    let client = HTTPClient()

    @Test func listensOnLoopbackWithAnEphemeralPort() throws {
        let first = try FakeHTTPServer { _ in .text("") }
        let second = try FakeHTTPServer { _ in .text("") }
        defer {
            first.stop()
            second.stop()
        }

        #expect(first.port > 0 && second.port > 0 && first.port != second.port)
        #expect(first.baseURL == "http://127.0.0.1:\(first.port)")
    }

    @Test func answersInOrderThenRepeatsTheLastResponse() async throws {
        let server = try FakeHTTPServer(responses: [.text("one"), .text("two")])
        defer { server.stop() }

        var bodies: [String] = []
        for _ in 0..<3 { bodies.append(try await client.send(HTTPRequest(url: server.url("/"), method: "GET")).bodyText) }

        #expect(bodies == ["one", "two", "two"])
        #expect(server.requests.count == 3)
    }

    @Test func stopEndsAStalledStreamAndReturnsPromptly() async throws {
        let server = try FakeHTTPServer { _ in .stall(sending: "data: {}\n\n", upTo: .seconds(20)) }
        let response = try await client.stream(HTTPRequest(url: server.url("/"), idleTimeout: nil))
        let start = ContinuousClock.now

        server.stop()
        var thrown: (any Error)?
        do {
            for try await _ in response.events() {}
        } catch {
            thrown = error
        }

        #expect(secondsSince(start) < 5)
        #expect((thrown as? HTTPError)?.kind == .streamEndedEarly)
    }

    @Test func deallocatingTheServerStopsIt() async throws {
        var server: FakeHTTPServer? = try FakeHTTPServer { _ in .text("ok") }
        let url = try #require(server).url("/")
        _ = try await client.send(HTTPRequest(url: url))

        server = nil

        let error = await expectHTTPError { try await client.send(HTTPRequest(url: url)) }
        // Refused, or — when another test's server has just been given the same ephemeral
        // port — reset by a stranger: either way nothing answers as this server did.
        #expect(error?.kind == .connectionFailed || error?.kind == .connectionLost || error?.status != nil)
    }
}

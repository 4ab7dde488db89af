import Foundation
import PatchloopHTTP
import PatchloopTesting
import Testing

@Suite("HTTPClient retries")
struct RetryTests {
    let client = HTTPClient()

    @Test func tooManyRequestsWithRetryAfterOneSecondSucceedsAfterWaiting() async throws {
        let server = try FakeHTTPServer(responses: [
            .json(#"{"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}"#, status: 429, headers: [("Retry-After", "1")]),
            .json(#"{"ok":true}"#),
        ])
        defer { server.stop() }
        let log = RetryLog()
        let start = ContinuousClock.now

        let response = try await client.send(HTTPRequest(url: server.url("/v1/chat/completions")), retry: .standard, onRetry: log.callback)

        #expect(response.bodyText == #"{"ok":true}"#)
        #expect(secondsSince(start) >= 1.0)
        #expect(server.requests.count == 2)
        let event = try #require(log.events.first)
        #expect(log.events.count == 1)
        #expect(event.attempt == 1)
        #expect(event.maxAttempts == 3)
        #expect(event.delay == .seconds(1))
        #expect(event.serverRequestedDelay)
        #expect(event.reasonText == "HTTP 429")
        #expect(event.description.contains("retrying in 1.00 s (as the server asked)"))
    }

    @Test(arguments: [500, 503, 529, 408, 409])
    func retryableStatusThenSuccessSucceeds(status: Int) async throws {
        let server = try FakeHTTPServer(responses: [
            .json(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, status: status),
            .json(#"{"ok":true}"#),
        ])
        defer { server.stop() }
        let log = RetryLog()

        let response = try await client.send(HTTPRequest(url: server.url("/v1/messages")), retry: fastRetry, onRetry: log.callback)

        #expect(response.status == 200)
        #expect(server.requests.count == 2)
        #expect(log.events.count == 1)
        if case .status(let code) = log.events.first?.reason { #expect(code == status) } else { Issue.record("no status reason") }
        #expect(log.events.first?.serverRequestedDelay == false)
        let delay = log.events.first?.delay ?? .zero
        #expect(delay >= .milliseconds(15) && delay <= .milliseconds(20))
    }

    @Test func unauthorizedIsNotRetriedAndCarriesStatusAndBody() async throws {
        let body = #"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#
        let server = try FakeHTTPServer { _ in .json(body, status: 401) }
        defer { server.stop() }
        let log = RetryLog()

        let error = await expectHTTPError {
            try await client.send(HTTPRequest(url: server.url("/v1/chat/completions")), retry: fastRetry, onRetry: log.callback)
        }

        #expect(error?.kind == .status(401))
        #expect(error?.status == 401)
        #expect(error?.responseBody == Data(body.utf8))
        #expect(error?.responseHeaders["content-type"] == "application/json")
        #expect(error?.serverMessage == "Incorrect API key provided")
        #expect(error?.attempts == 1)
        #expect(
            error?.description
                == "HTTP 401 from 127.0.0.1:\(server.port) for POST \(server.url("/v1/chat/completions")): Incorrect API key provided — check the API key"
        )
        #expect(server.requests.count == 1)
        #expect(log.events.isEmpty)
    }

    @Test(arguments: [400, 403, 404, 422])
    func clientErrorsAreNotRetried(status: Int) async throws {
        let server = try FakeHTTPServer { _ in .json(#"{"error":{"message":"no"}}"#, status: status) }
        defer { server.stop() }

        let error = await expectHTTPError { try await client.send(HTTPRequest(url: server.url("/x")), retry: fastRetry) }

        #expect(error?.kind == .status(status))
        #expect(server.requests.count == 1)
    }

    @Test func insufficientQuotaIsNotRetried() async throws {
        let body = #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#
        let server = try FakeHTTPServer { _ in .json(body, status: 429) }
        defer { server.stop() }
        let log = RetryLog()

        let error = await expectHTTPError {
            try await client.send(HTTPRequest(url: server.url("/v1/chat/completions")), retry: fastRetry, onRetry: log.callback)
        }

        #expect(error?.kind == .status(429))
        #expect(error?.description.contains("no quota left") == true)
        #expect(server.requests.count == 1)
        #expect(log.events.isEmpty)
    }

    @Test func xShouldRetryHeaderOverridesTheStatus() async throws {
        let server = try FakeHTTPServer(responses: [
            .json("{}", status: 400, headers: [("x-should-retry", "true")]),
            .json("{}", status: 503, headers: [("x-should-retry", "false")]),
        ])
        defer { server.stop() }

        let error = await expectHTTPError { try await client.send(HTTPRequest(url: server.url("/x")), retry: fastRetry) }

        #expect(error?.kind == .status(503))
        #expect(error?.attempts == 2)
        #expect(server.requests.count == 2)
    }

    @Test func persistentFailureGivesUpAfterMaxRetries() async throws {
        let server = try FakeHTTPServer { _ in .json(#"{"error":{"message":"down"}}"#, status: 503) }
        defer { server.stop() }
        let log = RetryLog()

        let error = await expectHTTPError {
            try await client.send(HTTPRequest(url: server.url("/x")), retry: fastRetry, onRetry: log.callback)
        }

        #expect(error?.kind == .status(503))
        #expect(error?.attempts == 3)
        #expect(error?.description.hasSuffix("(gave up after 3 attempts)") == true)
        #expect(server.requests.count == 3)
        #expect(log.events.map(\.attempt) == [1, 2])
    }

    @Test func connectionRefusedIsRetriedThenReported() async throws {
        let url = try closedPortURL()
        let log = RetryLog()

        let error = await expectHTTPError { try await client.send(HTTPRequest(url: url), retry: fastRetry, onRetry: log.callback) }

        #expect(error?.kind == .connectionFailed)
        #expect(error?.attempts == 3)
        #expect(log.events.count == 2)
        if case .failure(let failure) = log.events.first?.reason {
            #expect(failure.kind == .connectionFailed)
        } else {
            Issue.record("expected a failure reason")
        }
        #expect(log.events.first?.reasonText.contains("connection refused") == true)
    }

    @Test func streamIsRetriedBeforeTheFirstByte() async throws {
        let server = try FakeHTTPServer(responses: [
            .json(#"{"error":{"message":"busy"}}"#, status: 529),
            .openAIStream(["{\"a\":1}"]),
        ])
        defer { server.stop() }
        let log = RetryLog()

        let response = try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")), retry: fastRetry, onRetry: log.callback)
        var events: [String] = []
        for try await event in response.events() { events.append(event.data) }

        #expect(events == [#"{"a":1}"#, "[DONE]"])
        #expect(log.events.count == 1)
        #expect(server.requests.count == 2)
    }

    @Test func streamErrorStatusIsThrownWithItsBody() async throws {
        let server = try FakeHTTPServer { _ in .json(#"{"error":{"message":"bad model"}}"#, status: 404) }
        defer { server.stop() }

        let error = await expectHTTPError { try await client.stream(HTTPRequest(url: server.url("/v1/chat/completions")), retry: fastRetry) }

        #expect(error?.kind == .status(404))
        #expect(error?.serverMessage == "bad model")
        #expect(server.requests.count == 1)
    }

    @Test func cancellingDuringTheBackoffStopsRetrying() async throws {
        let server = try FakeHTTPServer { _ in .json("{}", status: 429, headers: [("retry-after", "30")]) }
        defer { server.stop() }
        let client = self.client
        let task = Task { try await client.send(HTTPRequest(url: server.url("/x")), retry: .standard) }
        #expect(await eventually { server.requests.count == 1 })
        let cancelledAt = ContinuousClock.now

        task.cancel()
        let result = await task.result

        #expect(failureKind(result) == .cancelled)
        #expect(secondsSince(cancelledAt) < 3)
        #expect(server.requests.count == 1)
    }
}

@Suite("RetryPolicy decisions")
struct RetryPolicyTests {
    let policy = RetryPolicy.standard

    @Test func defaultsMatchTheSDKs() {
        #expect(policy.maxRetries == 2)
        #expect(policy.baseDelay == .milliseconds(500))
        #expect(policy.maxDelay == .seconds(8))
        #expect(policy.jitter == 0.75...1.0)
        #expect(policy.maxServerDelay == .seconds(120))
    }

    @Test func statusesThatAreAndAreNotRetried() {
        for status in [408, 409, 429, 500, 502, 503, 504, 529] {
            #expect(policy.shouldRetry(status: status, headers: [:], body: Data()), "\(status)")
        }
        for status in [400, 401, 403, 404, 413, 422] {
            #expect(!policy.shouldRetry(status: status, headers: [:], body: Data()), "\(status)")
        }
    }

    @Test func insufficientQuotaIsFinalButOtherRateLimitsAreNot() {
        let quota = Data(#"{"error":{"code":"insufficient_quota","message":"…"}}"#.utf8)
        let rate = Data(#"{"error":{"code":"rate_limit_exceeded","message":"…"}}"#.utf8)
        #expect(!policy.shouldRetry(status: 429, headers: [:], body: quota))
        #expect(policy.shouldRetry(status: 429, headers: [:], body: rate))
        #expect(policy.shouldRetry(status: 429, headers: [:], body: Data("not json".utf8)))
    }

    @Test func serverAskingForTooLongIsNotRetriedUnlessConfigured() {
        let headers = ["retry-after": "600"]
        #expect(!policy.shouldRetry(status: 429, headers: headers, body: Data()))
        var lenient = policy
        lenient.givesUpWhenServerDelayIsTooLong = false
        #expect(lenient.shouldRetry(status: 429, headers: headers, body: Data()))
        let delay = lenient.delay(afterAttempt: 1, headers: headers)
        #expect(!delay.serverRequested)
        #expect(delay.delay <= .milliseconds(500))
    }

    @Test func backoffDoublesUpToTheCapWithJitter() {
        let expected: [Double] = [0.5, 1, 2, 4, 8, 8]
        for (index, seconds) in expected.enumerated() {
            let delay = policy.delay(afterAttempt: index + 1, headers: [:]).delay
            let milliseconds = Double(delay.components.seconds) * 1000 + Double(delay.components.attoseconds) / 1e15
            #expect(milliseconds >= seconds * 750 - 1 && milliseconds <= seconds * 1000 + 1, "attempt \(index + 1): \(milliseconds) ms")
        }
    }

    @Test func serverRequestedDelays() {
        #expect(RetryPolicy.serverRequestedDelay(headers: ["retry-after-ms": "1500", "retry-after": "9"]) == 1.5)
        #expect(RetryPolicy.serverRequestedDelay(headers: ["retry-after": "2.5"]) == 2.5)
        #expect(RetryPolicy.serverRequestedDelay(headers: ["retry-after": "soon"]) == nil)
        #expect(RetryPolicy.serverRequestedDelay(headers: [:]) == nil)
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        let date = RetryPolicy.serverRequestedDelay(headers: ["retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"], now: now)
        #expect(date == 30)

        let asked = policy.delay(afterAttempt: 1, headers: ["retry-after-ms": "250"])
        #expect(asked.delay == .milliseconds(250) && asked.serverRequested)
        let zero = policy.delay(afterAttempt: 1, headers: ["retry-after": "0"])
        #expect(!zero.serverRequested, "0 falls back to backoff")
    }

    @Test func transportFailuresAreRetriedButNotCancellationOrBadURLs() {
        func error(_ kind: HTTPError.Kind) -> HTTPError {
            HTTPError(kind: kind, method: "POST", url: "http://127.0.0.1:1/", host: "127.0.0.1:1", detail: "")
        }
        for kind: HTTPError.Kind in [.connectionFailed, .connectionLost, .timedOut, .idleTimeout, .streamEndedEarly] {
            #expect(policy.shouldRetry(error(kind)), "\(kind)")
        }
        for kind: HTTPError.Kind in [.cancelled, .invalidURL, .invalidRequest, .tlsFailed, .transferFailed] {
            #expect(!policy.shouldRetry(error(kind)), "\(kind)")
        }
    }
}

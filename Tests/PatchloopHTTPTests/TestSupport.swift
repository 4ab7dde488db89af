import Foundation
import Synchronization
import PatchloopHTTP
import PatchloopTesting
import Testing

/// Seconds elapsed since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// Runs `body` and returns the `HTTPError` it throws; records an issue if it returns.
func expectHTTPError<T>(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> HTTPError? {
    do {
        _ = try await body()
        Issue.record("expected an HTTPError, got a result", sourceLocation: sourceLocation)
        return nil
    } catch let error as HTTPError {
        return error
    } catch {
        Issue.record("expected an HTTPError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Collects retry events from the `onRetry` callback.
final class RetryLog: Sendable {
    private let storage = Mutex<[RetryEvent]>([])
    var events: [RetryEvent] { storage.withLock { $0 } }
    var callback: @Sendable (RetryEvent) -> Void {
        { [self] event in storage.withLock { $0.append(event) } }
    }
}

/// A policy with the SDK's rules but short backoff, so tests stay fast.
let fastRetry = RetryPolicy(maxRetries: 2, baseDelay: .milliseconds(20), maxDelay: .milliseconds(100))

/// Polls `condition` every 10 ms for up to `timeout` seconds.
func eventually(timeout: Double = 10, _ condition: () -> Bool) async -> Bool {
    let start = ContinuousClock.now
    while secondsSince(start) < timeout {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A URL on 127.0.0.1 where nothing listens: a server's port right after it stopped.
func closedPortURL() throws -> String {
    let server = try FakeHTTPServer { _ in .text("") }
    let url = server.url("/v1/chat/completions")
    server.stop()
    return url
}

/// The `HTTPError` kind of a failed result; `nil` for a success or another error.
func failureKind<T>(_ result: Result<T, any Error>) -> HTTPError.Kind? {
    if case .failure(let error) = result { return (error as? HTTPError)?.kind }
    return nil
}

internal import CCurl
public import Foundation

/// When and how long to wait before trying a failed request again.
///
/// The defaults follow the retry policy of the official OpenAI and Anthropic SDKs
/// (`_base_client.py`): up to 2 retries; retry connection failures, timeouts, 408, 409,
/// 429 and every 5xx (Anthropic's 529 "overloaded" included); obey `x-should-retry:
/// true|false`; wait what `retry-after-ms` or `retry-after` (seconds or an HTTP date) asks
/// when it is more than 0 and at most 120 s, otherwise `min(0.5 s · 2ⁿ, 8 s)` times a
/// jitter factor in 0.75…1. A server that asks for more than `maxServerDelay` is not
/// retried, as in current SDKs. One more rule the SDKs lack: a 429 whose body says
/// `insufficient_quota` (OpenAI's "no credit left") is final.
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt; 0 disables retrying.
    public var maxRetries: Int
    /// Backoff before the first retry; doubles for each further retry.
    public var baseDelay: Duration
    /// Upper bound of the exponential backoff.
    public var maxDelay: Duration
    /// The backoff is multiplied by a random factor from this range.
    public var jitter: ClosedRange<Double>
    /// A server-requested delay (`retry-after-ms`, `retry-after`) is honoured only when it
    /// is greater than zero and at most this long.
    public var maxServerDelay: Duration
    /// When the server asks for longer than `maxServerDelay`: give up (`true`, what the
    /// SDKs do now) or ignore the request and back off as usual (`false`).
    public var givesUpWhenServerDelayIsTooLong: Bool
    /// Statuses worth another attempt when the server does not say otherwise.
    public var retryableStatuses: Set<Int>
    /// Whether connection failures, lost connections, timeouts and truncated responses
    /// are retried.
    public var retriesTransportFailures: Bool

    /// Makes a policy; every default is the SDKs' value.
    public init(
        maxRetries: Int = 2,
        baseDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(8),
        jitter: ClosedRange<Double> = 0.75...1.0,
        maxServerDelay: Duration = .seconds(120),
        givesUpWhenServerDelayIsTooLong: Bool = true,
        retryableStatuses: Set<Int> = RetryPolicy.defaultRetryableStatuses,
        retriesTransportFailures: Bool = true
    ) {
        self.maxRetries = max(0, maxRetries)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxServerDelay = maxServerDelay
        self.givesUpWhenServerDelayIsTooLong = givesUpWhenServerDelayIsTooLong
        self.retryableStatuses = retryableStatuses
        self.retriesTransportFailures = retriesTransportFailures
    }

    /// 408, 409, 429 and 500–599.
    public static let defaultRetryableStatuses: Set<Int> = Set([408, 409, 429]).union(500...599)

    /// The SDKs' policy: 2 retries, 0.5 s doubling up to 8 s.
    public static let standard = RetryPolicy()

    /// A single attempt.
    public static let none = RetryPolicy(maxRetries: 0)

    /// Whether a response with this status deserves another attempt (ignoring how many
    /// attempts are left).
    public func shouldRetry(status: Int, headers: [String: String], body: Data) -> Bool {
        if givesUpWhenServerDelayIsTooLong, let asked = Self.serverRequestedDelay(headers: headers),
            asked > maxServerDelay.seconds
        {
            return false
        }
        switch headers["x-should-retry"]?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true": return true
        case "false": return false
        default: break
        }
        if status == 429, ErrorBody(body).isInsufficientQuota { return false }
        return retryableStatuses.contains(status)
    }

    /// Whether a failure without a usable response deserves another attempt.
    public func shouldRetry(_ error: HTTPError) -> Bool {
        switch error.kind {
        case .connectionFailed, .connectionLost, .timedOut, .idleTimeout, .streamEndedEarly:
            return retriesTransportFailures
        case .status(let code):
            return shouldRetry(status: code, headers: error.responseHeaders, body: error.responseBody ?? Data())
        case .invalidURL, .invalidRequest, .tlsFailed, .cancelled, .transferFailed:
            return false
        }
    }

    /// How long to wait after failed attempt number `attempt` (1-based), and whether the
    /// server chose that delay.
    public func delay(afterAttempt attempt: Int, headers: [String: String] = [:]) -> (delay: Duration, serverRequested: Bool) {
        delay(afterAttempt: attempt, headers: headers, randomUnit: Double.random(in: 0...1))
    }

    func delay(afterAttempt attempt: Int, headers: [String: String], randomUnit: Double) -> (delay: Duration, serverRequested: Bool) {
        if let asked = Self.serverRequestedDelay(headers: headers), asked > 0, asked <= maxServerDelay.seconds {
            return (.milliseconds(Int64((asked * 1000).rounded(.up))), true)
        }
        let exponent = Double(min(max(attempt - 1, 0), 60))
        let backoff = min(baseDelay.seconds * pow(2, exponent), maxDelay.seconds)
        let factor = jitter.lowerBound + (jitter.upperBound - jitter.lowerBound) * randomUnit
        return (.milliseconds(Int64(max(0, backoff * factor) * 1000)), false)
    }

    /// The delay in seconds a response asks for: `retry-after-ms`, else `retry-after` as
    /// seconds (fractions allowed) or as an HTTP date (then relative to now; may be
    /// negative). `nil` when neither header parses.
    public static func serverRequestedDelay(headers: [String: String], now: Date = Date()) -> Double? {
        if let text = headers["retry-after-ms"], let milliseconds = Double(text.trimmingCharacters(in: .whitespaces)),
            !milliseconds.isNaN
        {
            return milliseconds / 1000
        }
        guard let text = headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return nil
        }
        if let seconds = Double(text), !seconds.isNaN { return seconds }
        let date = curl_getdate(text, nil)
        guard date != -1 else { return nil }
        return Double(date) - now.timeIntervalSince1970
    }
}

/// One retry that `HTTPClient` is about to make, handed to the `onRetry` callback so the
/// caller can log or record it.
public struct RetryEvent: Sendable, CustomStringConvertible {
    /// Why the attempt failed.
    public enum Reason: Sendable {
        /// The server answered with this retryable status.
        case status(Int)
        /// The transfer failed without a usable response.
        case failure(HTTPError)
    }

    /// The attempt that failed, counting from 1; the retry is attempt `attempt + 1`.
    public var attempt: Int
    /// Attempts allowed in total (`maxRetries + 1`).
    public var maxAttempts: Int
    /// Why it failed.
    public var reason: Reason
    /// How long the client waits before the next attempt.
    public var delay: Duration
    /// Whether `retry-after-ms` / `retry-after` chose the delay (rather than backoff).
    public var serverRequestedDelay: Bool
    /// The request URL (the description leaves out its query and user information).
    public var url: String

    /// The reason as short text: `HTTP 429` or the error's description.
    public var reasonText: String {
        switch reason {
        case .status(let code): return "HTTP \(code)"
        case .failure(let error): return error.description
        }
    }

    public var description: String {
        let seconds = String(format: "%.2f", delay.seconds)
        let chosenBy = serverRequestedDelay ? " (as the server asked)" : ""
        return "attempt \(attempt) of \(maxAttempts) for \(redactedURL(url)) failed with \(reasonText); retrying in \(seconds) s\(chosenBy)"
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

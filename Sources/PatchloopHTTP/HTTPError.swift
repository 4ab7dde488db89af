public import Foundation

/// Why an HTTP request failed, and to which server, worded for the person who has to fix it.
///
/// `description` reads like
/// `could not connect to 127.0.0.1:9: connection refused — is the server running? check --base-url`.
/// A status error keeps the response headers and body, so a caller can read the
/// provider's own error message (`{"error": {"message": …}}`).
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, coarsely; `detail` carries the low-level reason.
    public enum Kind: Sendable, Hashable {
        /// The URL could not be parsed or does not use http/https.
        case invalidURL
        /// The request itself is malformed (for example a header containing a newline).
        case invalidRequest
        /// No connection could be made: refused, unreachable, DNS failure, connect timeout.
        case connectionFailed
        /// An established connection broke (reset by peer, send/receive failure).
        case connectionLost
        /// TLS set-up or certificate verification failed.
        case tlsFailed
        /// `totalTimeout` passed before the transfer finished.
        case timedOut
        /// No byte arrived for `idleTimeout`.
        case idleTimeout
        /// The awaiting task was cancelled, or the stream's consumer went away.
        case cancelled
        /// The server answered with this status (400 or above).
        case status(Int)
        /// The connection closed before the response framing said it was complete.
        case streamEndedEarly
        /// Any other libcurl failure; see `curlCode` and `detail`.
        case transferFailed
    }

    /// The category of failure.
    public var kind: Kind
    /// The request method.
    public var method: String
    /// The request URL.
    public var url: String
    /// `host:port` the request went to.
    public var host: String
    /// The low-level reason (libcurl's message, `strerror`, or the server's error message).
    public var detail: String
    /// The libcurl result code, when libcurl reported the failure.
    public var curlCode: Int?
    /// The headers of the error response (lower-cased names), for `.status`.
    public var responseHeaders: [String: String]
    /// The body of the error response, for `.status`.
    public var responseBody: Data?
    /// How many attempts were made before giving up (1 when there was no retry).
    public var attempts: Int

    /// Makes an error value; `HTTPClient` fills these in, tests and adapters may too.
    public init(
        kind: Kind,
        method: String,
        url: String,
        host: String,
        detail: String,
        curlCode: Int? = nil,
        responseHeaders: [String: String] = [:],
        responseBody: Data? = nil,
        attempts: Int = 1
    ) {
        self.kind = kind
        self.method = method
        self.url = url
        self.host = host
        self.detail = detail
        self.curlCode = curlCode
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
        self.attempts = attempts
    }

    /// The HTTP status for `.status` errors, otherwise `nil`.
    public var status: Int? {
        if case .status(let code) = kind { return code }
        return nil
    }

    /// The server's error message from a JSON error body (`error.message` or `message`),
    /// or the start of the body text.
    public var serverMessage: String? {
        guard let responseBody, !responseBody.isEmpty else { return nil }
        return ErrorBody(responseBody).message
    }

    public var description: String {
        var text = summary
        if attempts > 1 { text += " (gave up after \(attempts) attempts)" }
        return text
    }

    private var summary: String {
        switch kind {
        case .invalidURL:
            return "invalid URL \"\(url)\": \(detail) — check --base-url (it must be an absolute http:// or https:// URL)"
        case .invalidRequest:
            return "request to \(host) was not sent: \(detail)"
        case .connectionFailed:
            if curlCode == 6 {
                return "could not resolve host \(host): \(detail) — check the host name in --base-url and the network"
            }
            return "could not connect to \(host): \(detail) — is the server running? check --base-url"
        case .connectionLost:
            return "the connection to \(host) was lost: \(detail) — the server or a proxy dropped it; try again"
        case .tlsFailed:
            return "TLS with \(host) failed: \(detail) — check the server's certificate and the system CA store"
        case .timedOut:
            return "\(method) \(displayURL) timed out: \(detail) — the server is slow or stuck; try again or raise the timeout"
        case .idleTimeout:
            return "no data from \(host) for \(detail) (idle timeout) — the server stalled; try again or raise the idle timeout"
        case .cancelled:
            return "\(method) \(displayURL) was cancelled"
        case .status(let code):
            let message = serverMessage.map { ": \($0)" } ?? ""
            return "HTTP \(code) from \(host) for \(method) \(displayURL)\(message) — \(advice(forStatus: code))"
        case .streamEndedEarly:
            return "the response from \(host) ended early: \(detail) — the server or a proxy closed the connection; try again"
        case .transferFailed:
            let code = curlCode.map { " (curl error \($0))" } ?? ""
            return "\(method) \(displayURL) failed: \(detail)\(code)"
        }
    }

    /// The URL without its query and user information, which may hold credentials
    /// (`?key=…`, `user:password@`) that must not reach a log or a trajectory.
    public var displayURL: String {
        redactedURL(url)
    }

    private func advice(forStatus code: Int) -> String {
        switch code {
        case 400: return "the server rejected the request; see its message"
        case 401: return "check the API key"
        case 403: return "the API key has no access to this resource or model"
        case 404: return "check --base-url and the model name"
        case 413: return "the request is too large; shorten the conversation"
        case 422: return "the server could not process the request; see its message"
        case 429:
            if responseBody.map({ ErrorBody($0).isInsufficientQuota }) == true {
                return "the account has no quota left; check its plan and billing"
            }
            return "rate limited; wait and try again, or run fewer workers"
        case 408, 409, 500...599: return "the server had a problem; try again later"
        default: return "see the server's message"
        }
    }
}

/// The fields a provider's JSON error body may carry: OpenAI
/// `{"error": {"message", "type", "code"}}`, Anthropic
/// `{"type": "error", "error": {"type", "message"}}`, or a flat `{"message", "code"}`.
struct ErrorBody {
    var message: String?
    var code: String?
    var type: String?

    init(_ body: Data) {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let nested = object?["error"] as? [String: Any]
        message = (nested?["message"] as? String) ?? (object?["message"] as? String) ?? (object?["error"] as? String)
        code = (nested?["code"] as? String) ?? (object?["code"] as? String)
        type = (nested?["type"] as? String) ?? (object?["type"] as? String)
        if message == nil {
            let text = String(decoding: body.prefix(500), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? nil : text + (body.count > 500 ? "…" : "")
        }
    }

    /// OpenAI's "you have run out of credit" 429, which no amount of waiting fixes.
    var isInsufficientQuota: Bool {
        code == "insufficient_quota" || type == "insufficient_quota"
    }
}

/// `url` without query, fragment and user information, for messages.
func redactedURL(_ url: String) -> String {
    var text = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
    text = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
    if let schemeEnd = text.range(of: "://") {
        let authorityEnd = text[schemeEnd.upperBound...].firstIndex(of: "/") ?? text.endIndex
        if let at = text[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") {
            text.removeSubrange(schemeEnd.upperBound...at)
        }
    }
    return text
}

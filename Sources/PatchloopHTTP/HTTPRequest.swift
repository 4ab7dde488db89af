public import Foundation

/// One HTTP request for `HTTPClient`: where to send it, what to send, and how long to wait.
///
/// Timeouts are three independent limits:
/// - `connectTimeout` bounds name resolution, TCP and TLS set-up;
/// - `totalTimeout` bounds the whole transfer (leave it `nil` for a stream that may run long);
/// - `idleTimeout` fails the transfer once no byte has arrived for that long, which is
///   what catches a stream that stalls without closing.
///
/// A body without a `Content-Type` header is sent as `application/json`, because libcurl
/// would otherwise label it `application/x-www-form-urlencoded`.
public struct HTTPRequest: Sendable {
    /// An absolute `http://` or `https://` URL.
    public var url: String
    /// The method, such as `GET` or `POST`.
    public var method: String
    /// Header fields in the order they are sent; a name may appear more than once.
    public var headers: [(name: String, value: String)]
    /// The request body, sent with a `Content-Length`; `nil` sends none.
    public var body: Data?
    /// Longest time to set up the connection (DNS, TCP, TLS).
    public var connectTimeout: Duration
    /// Longest time for the whole transfer, or `nil` for no limit.
    public var totalTimeout: Duration?
    /// Longest time without receiving (or sending) a byte, or `nil` for no limit.
    public var idleTimeout: Duration?

    /// Makes a request; the defaults suit a JSON API call (`POST`, 10 s to connect,
    /// 10 minutes of silence at most, no total limit).
    public init(
        url: String,
        method: String = "POST",
        headers: [(name: String, value: String)] = [],
        body: Data? = nil,
        connectTimeout: Duration = .seconds(10),
        totalTimeout: Duration? = nil,
        idleTimeout: Duration? = .seconds(600)
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.idleTimeout = idleTimeout
    }

    /// The value of the first header with this name (compared case-insensitively).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Replaces every header with this name (case-insensitively) by one with `value`.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        headers.append((name: name, value: value))
    }
}

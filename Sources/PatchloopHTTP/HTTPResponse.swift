public import Foundation

/// A complete HTTP response: the final status, its headers and the whole body.
public struct HTTPResponse: Sendable {
    /// The status code of the final response (interim `1xx` responses are skipped).
    public var status: Int
    /// Header fields with lower-cased names; repeated fields are joined with `", "`.
    public var headers: [String: String]
    /// The body as received (after transfer decoding).
    public var body: Data

    /// Makes a response value (mostly useful in tests).
    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The header with this name, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}

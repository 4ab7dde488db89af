import Foundation
import Synchronization

/// The one place that knows which strings are secret, and takes them out of everything
/// Patchloop writes: trajectories, results, predictions, patches, exports, logs and what
/// it prints. It knows the values of the keys in use (models register theirs), the
/// values of this process's variables that look like credentials, and the password part
/// of any `scheme://user:password@host` it sees.
public final class Redactor: Sendable {
    /// The process-wide redactor every writer uses.
    public static let shared = Redactor(environment: ProcessInfo.processInfo.environment)

    public static let mask = "[REDACTED]"
    /// Shorter values are too likely to occur by chance to be replaced everywhere.
    public static let minimumSecretLength = 6

    private let secrets: Mutex<[String]>

    public init(environment: [String: String] = [:]) {
        secrets = Mutex([])
        for (name, value) in environment {
            if Redactor.looksSecret(name: name) { register(value) }
            for password in Redactor.urlPasswords(in: value) { register(password) }
        }
    }

    /// Whether a variable's name says it holds a credential (`OPENAI_API_KEY`, `PGPASSWORD`,
    /// `AZURE_OPENAI_KEY`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `SENTRY_DSN`…). A URL
    /// such as `DATABASE_URL` is not hidden whole: its password part is.
    public static func looksSecret(name: String) -> Bool {
        let words = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "CREDENTIAL", "CREDENTIALS", "AUTH", "PRIVATE", "DSN"]
        let parts = name.uppercased().split { !$0.isLetter && !$0.isNumber }
        return parts.contains { part in words.contains { part == $0 || part.hasSuffix($0) } }
    }

    /// Adds a value to hide from now on (an API key a model is about to use).
    public func register(_ value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= Redactor.minimumSecretLength else { return }
        var forms = [trimmed]
        // As it appears inside JSON text, when escaping changes it.
        let escaped = JSONValue.string(trimmed).encoded().dropFirst().dropLast()
        if escaped != Substring(trimmed) { forms.append(String(escaped)) }
        secrets.withLock { list in
            for form in forms where !list.contains(form) { list.append(form) }
            // Longest first, so a secret that contains another is replaced whole.
            list.sort { $0.count > $1.count }
        }
    }

    /// `text` with every known secret and every URL password replaced by `[REDACTED]`.
    public func redact(_ text: String) -> String {
        var result = text
        let list = secrets.withLock { $0 }
        for secret in list where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Redactor.mask)
        }
        for password in Redactor.urlPasswords(in: result) where password != Redactor.mask {
            result = result.replacingOccurrences(of: ":" + password + "@", with: ":" + Redactor.mask + "@")
        }
        return result
    }

    /// Every string inside `value` redacted.
    public func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(redact(text))
        case .array(let items): return .array(items.map { redact($0) })
        case .object(let members): return .object(members.mapValues { redact($0) })
        default: return value
        }
    }

    /// The passwords of `scheme://user:password@host` URLs in `text`.
    static func urlPasswords(in text: String) -> [String] {
        guard text.contains("://") else { return [] }
        var passwords: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: "://") {
            rest = rest[range.upperBound...]
            // The authority ends at the first '/', whitespace or quote.
            let authority = rest.prefix { !"/ \t\r\n\"'<>".contains($0) }
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    let password = String(userInfo[userInfo.index(after: colon)...])
                    if !password.isEmpty { passwords.append(password) }
                }
            }
        }
        return passwords
    }
}

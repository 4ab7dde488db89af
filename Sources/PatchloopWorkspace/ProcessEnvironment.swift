import Foundation

/// The environment handed to child processes: the parent's, minus every secret.
public enum ProcessEnvironment {
    /// Suffixes of variable names that hold credentials (compared upper-cased).
    static let secretSuffixes = ["_API_KEY", "_APIKEY", "_TOKEN", "_SECRET", "_SECRET_KEY", "_ACCESS_KEY", "_PASSWORD"]
    static let secretNames: Set<String> = ["API_KEY", "TOKEN", "SECRET", "PASSWORD", "APIKEY"]

    /// Whether a variable name looks like it holds a credential.
    public static func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretNames.contains(upper) || secretSuffixes.contains { upper.hasSuffix($0) }
    }

    /// `base` (default: this process's environment) without its secrets.
    public static func scrubbed(_ base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        base.filter { !isSecret($0.key) }
    }

    /// The values of this process's secret variables, for redacting text that might echo them.
    public static func secretValues(_ base: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        base.filter { isSecret($0.key) && $0.value.count >= 8 }.map(\.value)
    }
}

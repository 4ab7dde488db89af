import Foundation

/// `go test -v`: `--- PASS: TestName (0.00s)`, `--- FAIL: …`, `--- SKIP: …` lines
/// (subtests keep their `Parent/child` names).
///
/// Minimal, for `patchloop solve` on Go repositories.
public struct GoTestLogParser: TestLogParser {
    public init() {}
    public let name = "gotest"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for rawLine in log.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            for (prefix, status) in [("--- PASS: ", TestStatus.passed), ("--- FAIL: ", .failed), ("--- SKIP: ", .skipped)]
            where line.hasPrefix(prefix) {
                let rest = line.dropFirst(prefix.count)
                let identifier = rest.split(separator: " ").first.map(String.init) ?? ""
                if !identifier.isEmpty { statuses[identifier] = status }
            }
        }
        return statuses
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        let names = tests.map { NSRegularExpression.escapedPattern(for: $0.split(separator: "/").first.map(String.init) ?? $0) }
        return command + " -run " + shellQuote("^(" + Set(names).sorted().joined(separator: "|") + ")$")
    }
}

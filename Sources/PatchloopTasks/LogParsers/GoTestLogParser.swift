import Foundation

/// `go test -v`: `--- PASS: TestName (0.00s)`, `--- FAIL: …`, `--- SKIP: …`, subtests
/// indented as `TestName/case`. A package that fails to build prints no test lines, so
/// its tests are missing (and fail).
public struct GoTestLogParser: TestLogParser {
    public init() {}
    public let name = "gotest"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        let verdicts: [(String, TestStatus)] = [("--- PASS: ", .passed), ("--- FAIL: ", .failed), ("--- SKIP: ", .skipped)]
        for rawLine in LogText.lines(log) {
            let line = LogText.strip(rawLine)
            for (prefix, status) in verdicts where line.hasPrefix(prefix) {
                if let name = LogText.words(line.dropFirst(prefix.count)).first { statuses[name] = status }
                break
            }
        }
        return statuses
    }

    /// `-run` with an anchored alternation of the top-level names (subtests run with their parent).
    public func selecting(_ tests: [String], command: String) -> String? {
        let names = Set(tests.map { String($0.split(separator: "/").first ?? Substring($0)) }).sorted()
        let pattern = "^(" + names.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|") + ")$"
        return command + " -run " + shellQuote(pattern)
    }
}

import Foundation

/// Django's `runtests.py --verbosity 2` (unittest), read as SWE-bench's `parse_log_django`
/// reads it: `name ... ok` passes, `... skipped` skips, `... FAIL` / `FAIL: name` fails,
/// `... ERROR` / `ERROR: name` errors, and a bare `ok` after `name ...` (output in
/// between) passes the last test named. Ids look like
/// `test_ascii_validator (auth_tests.test_validators.UsernameValidatorsTests)`.
public struct DjangoLogParser: TestLogParser {
    public init() {}
    public let name = "django"

    /// Output that Django prints inside a test's line before its `ok`.
    private static let interruptedPatterns: [NSRegularExpression] = [
        #"^(.*?)\s\.\.\.\sTesting\ against\ Django\ installed\ in\ ((?s:.*?))\ silenced\)\.\nok$"#,
        #"^(.*?)\s\.\.\.\sInternal\ Server\ Error:\ \/(.*)\/\nok$"#,
        #"^(.*?)\s\.\.\.\sSystem check identified no issues \(0 silenced\)\nok$"#,
    ].compactMap { try? NSRegularExpression(pattern: $0, options: [.anchorsMatchLines]) }

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        var previousTest: String?
        for rawLine in LogText.lines(log) {
            var line = LogText.strip(rawLine)
            if line.contains("--version is equivalent to version") {
                statuses["--version is equivalent to version"] = .passed
            }
            if let range = line.range(of: " ... ") {
                previousTest = String(line[..<range.lowerBound])
            }
            for suffix in [" ... ok", " ... OK", " ...  OK"] where line.hasSuffix(suffix) {
                // SWE-bench's special case for django__django-7188: a migration message before the test name.
                if line.hasPrefix("Applying sites.0002_alter_domain_unique...test_no_migrations"),
                    let dots = line.range(of: "...")
                {
                    line = LogText.strip(line[dots.upperBound...])
                }
                let test = line.components(separatedBy: suffix).dropLast().joined(separator: suffix)
                statuses[test] = .passed
                break
            }
            if let range = line.range(of: " ... skipped") {
                statuses[String(line[..<range.lowerBound])] = .skipped
            }
            if line.hasSuffix(" ... FAIL"), let range = line.range(of: " ... FAIL") {
                statuses[String(line[..<range.lowerBound])] = .failed
            }
            if line.hasPrefix("FAIL:") {
                let words = LogText.words(line)
                if words.count > 1 { statuses[words[1]] = .failed }
            }
            if line.hasSuffix(" ... ERROR"), let range = line.range(of: " ... ERROR") {
                statuses[String(line[..<range.lowerBound])] = .error
            }
            if line.hasPrefix("ERROR:") {
                let words = LogText.words(line)
                if words.count > 1 { statuses[words[1]] = .error }
            }
            if line.hasPrefix("ok"), let previousTest {
                statuses[previousTest] = .passed
            }
        }
        let whole = NSRange(log.startIndex..., in: log)
        for pattern in DjangoLogParser.interruptedPatterns {
            for match in pattern.matches(in: log, range: whole) {
                if let range = Range(match.range(at: 1), in: log) {
                    statuses[String(log[range])] = .passed
                }
            }
        }
        return statuses
    }

    /// Django runs tests by label (`module.Class.method`); the ids name them differently,
    /// so the whole suite runs.
    public func selecting(_ tests: [String], command: String) -> String? { nil }
}

import Foundation

/// A test's status in a log, with SWE-bench's names.
public enum TestStatus: String, Sendable, Hashable, Codable {
    case passed = "PASSED"
    case failed = "FAILED"
    case skipped = "SKIPPED"
    case error = "ERROR"
    case xfail = "XFAIL"

    /// SWE-bench's `test_passed`: PASSED or XFAIL.
    public var countsAsPassed: Bool { self == .passed || self == .xfail }
}

/// Reads a test command's output into a status per test id.
public protocol TestLogParser: Sendable {
    /// The name tasks use in `log_parser`.
    var name: String { get }
    func parse(_ log: String) -> [String: TestStatus]
    /// The command that runs only `tests`, or nil when this framework cannot select tests.
    func selecting(_ tests: [String], command: String) -> String?
}

/// The parsers a task may name; new ones register here, nowhere else.
///
/// Where SWE-bench has a parser for a format, ours gives the same status for every test
/// id (checked against real logs graded by SWE-bench 5.0.2): `pytest`
/// (`parse_log_pytest`), `pytest_v2` (astropy, scikit-learn, sphinx), `pytest_options`
/// (requests, pylint, pydicom), `matplotlib`, `seaborn`, `django`, `sympy`.
public enum TestLogParsers {
    public static let all: [any TestLogParser] = [
        PytestLogParser(), PytestV2LogParser(), PytestOptionsLogParser(), MatplotlibLogParser(), SeabornLogParser(),
        DjangoLogParser(), SympyLogParser(), JUnitXMLLogParser(), SwiftTestLogParser(), GoTestLogParser(),
        CargoTestLogParser(), TAPLogParser(),
    ]

    public static func named(_ name: String) -> (any TestLogParser)? {
        all.first { $0.name == name }
    }

    public static var names: [String] { all.map(\.name) }
}

/// `swift test`: XCTest's `Test Case 'Suite.test' passed (…)` lines and Swift
/// Testing's `✔ Test name() passed after …` lines.
public struct SwiftTestLogParser: TestLogParser {
    public init() {}
    public let name = "swift"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for rawLine in LogText.lines(log) {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("Test Case '"), let close = line.range(of: "' ", options: .backwards) {
                // XCTest: Test Case 'CalcTests.testAdd' passed (0.001 seconds).
                let identifier = String(line[line.index(line.startIndex, offsetBy: 11)..<close.lowerBound])
                let verdict = line[close.upperBound...]
                if verdict.hasPrefix("passed") {
                    statuses[identifier] = .passed
                } else if verdict.hasPrefix("failed") {
                    statuses[identifier] = .failed
                } else if verdict.hasPrefix("skipped") {
                    statuses[identifier] = .skipped
                }
                continue
            }
            // Swift Testing: "✔ Test addsNumbers() passed after 0.001 seconds." (a symbol first).
            guard let testRange = line.range(of: " Test "), line.distance(from: line.startIndex, to: testRange.lowerBound) <= 4 else { continue }
            let rest = line[testRange.upperBound...]
            if rest.hasPrefix("run ") { continue }  // the run's summary line
            for (word, status) in [(" passed", TestStatus.passed), (" failed", .failed), (" skipped", .skipped)] {
                if let found = rest.range(of: word, options: .backwards) {
                    let identifier = String(rest[..<found.lowerBound])
                    if !identifier.isEmpty, !identifier.contains(" recorded ") {
                        statuses[identifier] = status
                    }
                    break
                }
            }
        }
        return statuses
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        let pattern = tests.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
        return command + " --filter " + shellQuote(pattern)
    }
}

/// The Test Anything Protocol: `ok 1 - name`, `not ok 2 - name`, `# SKIP`, `# TODO`.
public struct TAPLogParser: TestLogParser {
    public init() {}
    public let name = "tap"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for rawLine in LogText.lines(log) {
            var line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            let failed = line.hasPrefix("not ok")
            guard failed || line.hasPrefix("ok") else { continue }
            line = String(line.dropFirst(failed ? 6 : 2)).trimmingCharacters(in: .whitespaces)
            // The test number, then an optional "-" and the description.
            let number = line.prefix(while: \.isNumber)
            line = String(line.dropFirst(number.count)).trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-") { line = String(line.dropFirst()).trimmingCharacters(in: .whitespaces) }
            var directive = ""
            if let hash = line.range(of: " # ") ?? (line.hasPrefix("# ") ? line.range(of: "# ") : nil) {
                directive = line[hash.upperBound...].uppercased()
                line = String(line[..<hash.lowerBound]).trimmingCharacters(in: .whitespaces)
            }
            let identifier = line.isEmpty ? String(number) : line
            guard !identifier.isEmpty else { continue }
            if directive.hasPrefix("SKIP") {
                statuses[identifier] = .skipped
            } else if directive.hasPrefix("TODO") {
                statuses[identifier] = failed ? .xfail : .passed
            } else {
                statuses[identifier] = failed ? .failed : .passed
            }
        }
        return statuses
    }

    public func selecting(_ tests: [String], command: String) -> String? { nil }
}

/// Quotes a word for /bin/sh.
public func shellQuote(_ word: String) -> String {
    if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

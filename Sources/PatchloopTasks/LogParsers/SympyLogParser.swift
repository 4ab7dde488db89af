import Foundation

/// SymPy's `bin/test -C --verbose`, read as SWE-bench's `parse_log_sympy` reads it:
/// `test_x ok` passes, `test_x F` fails, `test_x E` errors, and each
/// `___ path/test_file.py:test_x ___` traceback header fails `path/test_file.py:test_x`.
public struct SympyLogParser: TestLogParser {
    public init() {}
    public let name = "sympy"

    /// SWE-bench's `(_*) (.*)\.py:(.*) (_*)`, applied line by line (its `.` never crosses a
    /// line feed, so no match can span lines); dot-all makes `.` match `\r` as Python's does.
    private static let failureHeader = try? NSRegularExpression(pattern: #"(_*) (.*)\.py:(.*) (_*)"#, options: [.dotMatchesLineSeparators])

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        let lines = LogText.lines(log)
        if let header = SympyLogParser.failureHeader {
            for line in lines where line.contains(".py:") {
                let text = String(line)
                for match in header.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    guard let file = Range(match.range(at: 2), in: text), let test = Range(match.range(at: 3), in: text) else { continue }
                    statuses["\(text[file]).py:\(text[test])"] = .failed
                }
            }
        }
        for rawLine in lines {
            let line = LogText.strip(rawLine)
            guard line.hasPrefix("test_") else { continue }
            let status: TestStatus
            if line.hasSuffix(" E") {
                status = .error
            } else if line.hasSuffix(" F") {
                status = .failed
            } else if line.hasSuffix(" ok") {
                status = .passed
            } else {
                continue
            }
            if let name = LogText.words(line).first { statuses[name] = status }
        }
        return statuses
    }

    /// `bin/test -k` matches substrings of names, so a run of named tests is not exact; the
    /// whole command runs.
    public func selecting(_ tests: [String], command: String) -> String? { nil }
}

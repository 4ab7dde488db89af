import Foundation

/// pytest with `-rA`, read as SWE-bench's `parse_log_pytest` reads it: every line that
/// starts with a status word maps its second word (the node id) to its first word;
/// for `FAILED` lines, ` - ` (before the message) becomes a space first.
///
/// One difference, on purpose: a first word that is not exactly a status (`ERROR:` in
/// `ERROR: Wrong expression passed to '-m'`) is a status SWE-bench's grader treats as
/// neither passed nor failed; here the word after it is left out of the result, which
/// grades the same (not passed).
public struct PytestLogParser: TestLogParser {
    public init() {}
    public let name = "pytest"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for line in LogText.lines(log) {
            PytestLogParser.read(summaryLine: line, into: &statuses)
        }
        return statuses
    }

    /// Reads one `STATUS node_id …` line (SWE-bench's classic rule); `rename` maps the id.
    static func read<S: StringProtocol>(summaryLine line: S, into statuses: inout [String: TestStatus], rename: (String) -> String = { $0 }) {
        guard let status = LogText.leadingStatus(line) else { return }
        let text = status == .failed ? String(line).replacingOccurrences(of: " - ", with: " ") : String(line)
        let words = LogText.words(text)
        guard words.count > 1 else { return }
        let identifier = rename(words[1])
        statuses[identifier] = TestStatus(rawValue: words[0])
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        command + " " + tests.map(shellQuote).joined(separator: " ")
    }
}

/// SWE-bench's `parse_log_pytest_v2` (astropy, scikit-learn, sphinx): colour codes and
/// control characters removed first, and old-style `node_id STATUS` lines read too.
public struct PytestV2LogParser: TestLogParser {
    public init() {}
    public let name = "pytest_v2"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for rawLine in LogText.lines(log) {
            let line = PytestV2LogParser.clean(rawLine)
            if LogText.leadingStatus(line) != nil {
                PytestLogParser.read(summaryLine: line, into: &statuses)
            } else if TestStatus.swebenchOrder.contains(where: { line.hasSuffix($0.rawValue) }) {
                let words = LogText.words(line)
                if words.count >= 2 { statuses[words[0]] = TestStatus(rawValue: words[1]) }
            }
        }
        return statuses
    }

    /// `re.sub(r"\[(\d+)m", "", line)`, then every character from 0x01 to 0x1F removed.
    static func clean<S: StringProtocol>(_ line: S) -> String {
        var scalars = Array(line.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if scalars[index] == "[" {
                var end = index + 1
                while end < scalars.count, ("0"..."9").contains(scalars[end]) { end += 1 }
                if end > index + 1, end < scalars.count, scalars[end] == "m" {
                    index = end + 1
                    continue
                }
            }
            output.append(scalars[index])
            index += 1
        }
        scalars = Array(output)
        output = String.UnicodeScalarView()
        output.append(contentsOf: scalars.filter { !(1...31).contains($0.value) })
        return String(output)
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        PytestLogParser().selecting(tests, command: command)
    }
}

/// SWE-bench's `parse_log_pytest_options` (requests, pylint, pydicom): like `pytest`, but
/// a parameter that is an absolute path keeps only its last component
/// (`test_x[/tmp/abc/file.txt]` → `test_x[/file.txt]`), as the dataset's ids do.
public struct PytestOptionsLogParser: TestLogParser {
    public init() {}
    public let name = "pytest_options"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for line in LogText.lines(log) {
            PytestLogParser.read(summaryLine: line, into: &statuses, rename: PytestOptionsLogParser.normalize)
        }
        return statuses
    }

    /// `re.search(r"(.*?)\[(.*)\]", name)`: up to the first `[`, the option up to the last `]`.
    static func normalize(_ name: String) -> String {
        guard let open = name.firstIndex(of: "["), let close = name.lastIndex(of: "]"), open < close else { return name }
        let main = name[..<open]
        var option = String(name[name.index(after: open)..<close])
        if option.hasPrefix("/") && !option.hasPrefix("//") && !option.contains("*") {
            option = "/" + (option.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? "")
        }
        return "\(main)[\(option)]"
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        PytestLogParser().selecting(tests, command: command)
    }
}

/// SWE-bench's `parse_log_matplotlib`: `pytest`, with `MouseButton.LEFT`/`RIGHT` written as 1/3.
public struct MatplotlibLogParser: TestLogParser {
    public init() {}
    public let name = "matplotlib"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for line in LogText.lines(log) {
            let renamed = line.replacingOccurrences(of: "MouseButton.LEFT", with: "1")
                .replacingOccurrences(of: "MouseButton.RIGHT", with: "3")
            PytestLogParser.read(summaryLine: renamed, into: &statuses)
        }
        return statuses
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        PytestLogParser().selecting(tests, command: command)
    }
}

/// SWE-bench's `parse_log_seaborn`: `FAILED id`, `id PASSED …` and `PASSED id` lines.
public struct SeabornLogParser: TestLogParser {
    public init() {}
    public let name = "seaborn"

    public func parse(_ log: String) -> [String: TestStatus] {
        var statuses: [String: TestStatus] = [:]
        for line in LogText.lines(log) {
            let words = LogText.words(line)
            if line.hasPrefix("FAILED") {
                if words.count > 1 { statuses[words[1]] = .failed }
            } else if line.contains(" PASSED ") {
                if words.count > 1, words[1] == "PASSED" { statuses[words[0]] = .passed }
            } else if line.hasPrefix("PASSED") {
                if words.count > 1 { statuses[words[1]] = .passed }
            }
        }
        return statuses
    }

    public func selecting(_ tests: [String], command: String) -> String? {
        PytestLogParser().selecting(tests, command: command)
    }
}

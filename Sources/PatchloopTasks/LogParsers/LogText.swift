import Foundation

/// Text helpers that behave as Python's `str` methods do, so parsers ported from
/// SWE-bench split and strip exactly as the originals.
public enum LogText {
    /// `log.split("\n")` of a log SWE-bench read with `open(path)`, whose universal
    /// newlines turn `\r\n` and a bare `\r` into `\n`: each of the three ends a line.
    public static func lines(_ log: String) -> [Substring] {
        let scalars = log.unicodeScalars
        var lines: [Substring] = []
        var start = scalars.startIndex
        var index = start
        while index < scalars.endIndex {
            let scalar = scalars[index]
            guard scalar == "\n" || scalar == "\r" else {
                index = scalars.index(after: index)
                continue
            }
            lines.append(Substring(scalars[start..<index]))
            index = scalars.index(after: index)
            if scalar == "\r", index < scalars.endIndex, scalars[index] == "\n" { index = scalars.index(after: index) }
            start = index
        }
        lines.append(Substring(scalars[start...]))
        return lines
    }

    /// Python's `str.isspace` for one scalar (Unicode White_Space plus the ASCII separators 0x1C–0x1F).
    static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// `text.split()`: runs of whitespace separate words; no empty words.
    static func words<S: StringProtocol>(_ text: S) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isPythonWhitespace(scalar) {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// `text.strip()`.
    public static func strip<S: StringProtocol>(_ text: S) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isPythonWhitespace($0) }),
            let last = scalars.lastIndex(where: { !isPythonWhitespace($0) })
        else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }

    /// `line.startswith(status)` for SWE-bench's five status words, in its order.
    static func leadingStatus<S: StringProtocol>(_ line: S) -> TestStatus? {
        TestStatus.swebenchOrder.first { line.hasPrefix($0.rawValue) }
    }
}

extension TestStatus {
    /// The order of SWE-bench's `TestStatus` enum, which its parsers try in turn.
    static let swebenchOrder: [TestStatus] = [.passed, .failed, .skipped, .error, .xfail]
}

import Foundation

/// Text helpers that behave as Python's `str` methods do, so parsers ported from
/// SWE-bench split and strip exactly as the originals.
public enum LogText {
    /// `log.split("\n")`: splits on the line feed alone (a `\r\n` keeps its `\r`, which
    /// Swift's `Character`-based splitting would not do).
    public static func lines(_ log: String) -> [Substring] {
        var lines: [Substring] = []
        var start = log.startIndex
        let scalars = log.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            if scalars[index] == "\n" {
                lines.append(log[start..<index])
                start = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        lines.append(log[start...])
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

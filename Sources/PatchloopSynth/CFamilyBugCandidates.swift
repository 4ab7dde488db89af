import Foundation

/// Bug candidates for Swift and C: `&&`↔`||`, `==`↔`!=`, `<`↔`<=`, `>`↔`>=`, found by a
/// scanner that blanks out comments, strings and character literals (and C preprocessor
/// lines) first, so only code changes. An operator counts only with a space on each side
/// (`a < b`), which keeps generics (`Array<Int>`), arrows and shifts out. Whether the
/// result compiles is told by the build the test command runs: a candidate after which no
/// test result can be read is counted as not compiling.
public enum CFamilyBugCandidates {
    /// `swift` for .swift files, `c` for .c and .h files, nil for the rest.
    public static func language(of path: String) -> String? {
        if path.hasSuffix(".swift") { return path.hasSuffix("Package.swift") ? nil : "swift" }
        if path.hasSuffix(".c") || path.hasSuffix(".h") { return "c" }
        return nil
    }

    /// Whether a path is a source file of `language` outside tests.
    public static func isSourceFile(_ path: String) -> Bool {
        guard language(of: path) != nil else { return false }
        let parts = path.split(separator: "/").map(String.init)
        let name = (parts.last ?? "").lowercased()
        if name.hasPrefix("test") || name.hasSuffix("tests.swift") || name.hasSuffix("test.swift") || name.hasSuffix("_test.c") { return false }
        let testFolders: Set<String> = ["test", "tests", "Tests", "testing", "examples", "benchmarks", "docs"]
        return !parts.dropLast().contains { testFolders.contains($0) }
    }

    static let flips: [(String, String, String)] = [
        (" && ", " || ", "swap_bool_op"), (" || ", " && ", "swap_bool_op"), (" == ", " != ", "flip_comparison"),
        (" != ", " == ", "flip_comparison"), (" < ", " <= ", "flip_comparison"), (" <= ", " < ", "flip_comparison"),
        (" > ", " >= ", "flip_comparison"), (" >= ", " > ", "flip_comparison"),
    ]

    /// The candidates of one file, each a one-line change inside a function body.
    public static func candidates(file: String, source: String) -> [BugCandidate] {
        guard let language = language(of: file), source.hasSuffix("\n") else { return [] }
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let masked = mask(source, language: language).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        guard masked.count == lines.count else { return [] }
        var found: [BugCandidate] = []
        var depth = 0
        var function = ""
        for (index, code) in masked.enumerated() {
            if let name = functionName(code, language: language) { function = name }
            let depthAtStart = depth
            depth += code.filter { $0 == "{" }.count - code.filter { $0 == "}" }.count
            guard depthAtStart > 0 || depth > 0, !function.isEmpty else { continue }
            for (old, new, operatorName) in flips {
                var searchStart = code.startIndex
                while let range = code.range(of: old, range: searchStart..<code.endIndex) {
                    // Same byte offsets in the masked and the real line: masking keeps every byte's place.
                    let offset = code.utf8.distance(from: code.startIndex, to: range.lowerBound)
                    let original = lines[index]
                    let startIndex = original.utf8.index(original.startIndex, offsetBy: offset)
                    let endIndex = original.utf8.index(startIndex, offsetBy: old.utf8.count)
                    let changed = original.replacingCharacters(in: startIndex..<endIndex, with: new)
                    found.append(
                        BugCandidate(
                            file: file, operatorName: operatorName, function: function, line: index + 1,
                            diff: oneLineDiff(file: file, lines: lines, index: index, replacement: changed), compiles: true))
                    searchStart = code.index(after: range.lowerBound)
                }
            }
        }
        return found
    }

    /// `func name` in Swift; in C a line at column 0 that opens a definition (`int clamp(int v) {`).
    static func functionName(_ code: String, language: String) -> String? {
        if language == "swift" {
            guard let range = code.range(of: #"\bfunc\s+([A-Za-z_][A-Za-z0-9_]*)"#, options: .regularExpression) else {
                return code.contains("init(") && code.contains("{") ? "init" : nil
            }
            return String(code[range].split(whereSeparator: \.isWhitespace).last ?? "")
        }
        guard let first = code.first, first.isLetter || first == "_", !code.hasSuffix(";"),
            let range = code.range(of: #"[A-Za-z_][A-Za-z0-9_]*\s*\("#, options: .regularExpression)
        else { return nil }
        let name = code[range].dropLast().trimmingCharacters(in: .whitespaces)
        return ["if", "while", "for", "switch", "return", "sizeof"].contains(name) ? nil : name
    }

    /// The source with comments, string and character literals (and C preprocessor lines)
    /// blanked byte for byte; newlines stay.
    static func mask(_ source: String, language: String) -> String {
        var bytes = Array(source.utf8)
        let slash = UInt8(ascii: "/"), star = UInt8(ascii: "*"), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
        let newline = UInt8(ascii: "\n"), backslash = UInt8(ascii: "\\"), hash = UInt8(ascii: "#"), space = UInt8(ascii: " ")
        func blank(_ range: Range<Int>) {
            for index in range where bytes[index] != newline { bytes[index] = space }
        }
        func at(_ index: Int, _ text: String) -> Bool {
            let pattern = Array(text.utf8)
            return index + pattern.count <= bytes.count && Array(bytes[index..<(index + pattern.count)]) == pattern
        }
        var index = 0
        var lineStart = true
        while index < bytes.count {
            let byte = bytes[index]
            if language == "c", lineStart, byte == hash {
                var end = index
                while end < bytes.count, bytes[end] != newline || (end > 0 && bytes[end - 1] == backslash) { end += 1 }
                blank(index..<end)
                index = end
                continue
            }
            lineStart = byte == newline || (lineStart && (byte == space || byte == UInt8(ascii: "\t")))
            if byte == slash, index + 1 < bytes.count, bytes[index + 1] == slash {
                var end = index
                while end < bytes.count, bytes[end] != newline { end += 1 }
                blank(index..<end)
                index = end
            } else if byte == slash, index + 1 < bytes.count, bytes[index + 1] == star {
                var depth = 1
                var end = index + 2
                while end < bytes.count, depth > 0 {
                    if at(end, "*/") {
                        depth -= 1
                        end += 2
                    } else if language == "swift", at(end, "/*") {
                        depth += 1
                        end += 2
                    } else {
                        end += 1
                    }
                }
                blank(index..<min(end, bytes.count))
                index = end
            } else if byte == quote || byte == apostrophe && language == "c" || (byte == hash && language == "swift" && (at(index, "#\"") || at(index, "##\""))) {
                // The literal's closing delimiter: `"`, `'`, `"""`, or `"#` for a raw string.
                var hashes = 0
                var start = index
                while start < bytes.count, bytes[start] == hash { hashes += 1; start += 1 }
                let multiline = language == "swift" && at(start, "\"\"\"")
                let closing = (multiline ? "\"\"\"" : String(UnicodeScalar(bytes[start]))) + String(repeating: "#", count: hashes)
                var end = start + (multiline ? 3 : 1)
                while end < bytes.count {
                    if hashes == 0, bytes[end] == backslash { end += 2; continue }
                    if !multiline, bytes[end] == newline { break }
                    if at(end, closing) { end += closing.utf8.count; break }
                    end += 1
                }
                blank(index..<min(end, bytes.count))
                index = min(end, bytes.count)
            } else {
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A unified diff replacing line `index` with `replacement`, three lines of context.
    static func oneLineDiff(file: String, lines: [String], index: Int, replacement: String) -> String {
        let start = max(0, index - 3)
        let end = min(lines.count, index + 4)
        var text = "diff --git a/\(file) b/\(file)\n--- a/\(file)\n+++ b/\(file)\n"
        text += "@@ -\(start + 1),\(end - start) +\(start + 1),\(end - start) @@\n"
        for line in start..<end {
            if line == index {
                text += "-" + lines[line] + "\n+" + replacement + "\n"
            } else {
                text += " " + lines[line] + "\n"
            }
        }
        return text
    }
}

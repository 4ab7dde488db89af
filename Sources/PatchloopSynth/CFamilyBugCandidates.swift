import Foundation

/// Bug candidates for Swift and C: `&&`↔`||`, `==`↔`!=`, `<`↔`<=`, `>`↔`>=`, an integer
/// literal ±1, a negated one-line `if`/`guard` condition, a dropped early `return`, a dropped
/// `+=`/`++` statement, and (in `CFamilyBugCandidates+Blocks.swift`) a range or loop bound,
/// a dropped `else` branch or guard, two call arguments swapped, a changed default (Swift)
/// or constant (C), found by a
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

    /// The candidates of one file, each a change inside one function body (or, for Swift's
    /// `change_default` and C's `change_constant`, one declaration): the one-line operators
    /// in the order of the lines, then the others.
    public static func candidates(file: String, source: String) -> [BugCandidate] {
        guard let language = language(of: file), source.hasSuffix("\n") else { return [] }
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let maskedSource = mask(source, language: language)
        let masked = maskedSource.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        guard masked.count == lines.count, let scanned = CFamilySource(file: file, language: language, source: source, maskedSource: maskedSource)
        else { return [] }
        let defaults = language == "swift" ? swiftDefaults(scanned) : (candidates: [], literals: [])
        var found: [BugCandidate] = []
        var depth = 0
        var function = ""
        var previousCode = ""
        for (index, code) in masked.enumerated() {
            if let name = functionName(code, language: language) { function = name }
            let depthAtStart = depth
            depth += code.filter { $0 == "{" }.count - code.filter { $0 == "}" }.count
            defer { if !code.trimmingCharacters(in: .whitespaces).isEmpty { previousCode = code } }
            guard depthAtStart > 0 || depth > 0, !function.isEmpty else { continue }
            let original = lines[index]
            func add(_ operatorName: String, _ replacement: String?) {
                found.append(
                    BugCandidate(
                        file: file, operatorName: operatorName, function: function, line: index + 1,
                        diff: lineDiff(file: file, lines: lines, index: index, replacement: replacement), compiles: true))
            }
            /// `original` with the bytes `range` of the masked line replaced (masking keeps every byte's place).
            func replacing(_ range: Range<String.Index>, in code: String, with new: String) -> String {
                let offset = code.utf8.distance(from: code.startIndex, to: range.lowerBound)
                let length = code.utf8.distance(from: range.lowerBound, to: range.upperBound)
                let start = original.utf8.index(original.startIndex, offsetBy: offset)
                let end = original.utf8.index(start, offsetBy: length)
                return original.replacingCharacters(in: start..<end, with: new)
            }
            for (old, new, operatorName) in flips {
                var searchStart = code.startIndex
                while let range = code.range(of: old, range: searchStart..<code.endIndex) {
                    add(operatorName, replacing(range, in: code, with: new))
                    searchStart = code.index(after: range.lowerBound)
                }
            }
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            // Integer literals (not part of a name, a float or a hex literal), ±1.
            for match in code.matches(of: /[0-9]+(?![\w.])/) {
                // Not the tail of a name, a float or a hex literal (no lookbehind in Swift regexes).
                if match.range.lowerBound > code.startIndex {
                    let before = code[code.index(before: match.range.lowerBound)]
                    if before.isLetter || before.isNumber || before == "_" || before == "." { continue }
                }
                // A parameter's default value is `change_default`'s.
                let offset = scanned.lineStarts[index] + code.utf8.distance(from: code.startIndex, to: match.range.lowerBound)
                guard let value = Int(code[match.range]), !defaults.literals.contains(offset) else { continue }
                add("off_by_one", replacing(match.range, in: code, with: String(value + 1)))
                if value > 0 { add("off_by_one", replacing(match.range, in: code, with: String(value - 1))) }
            }
            if let condition = ifCondition(code, language: language) {
                let offset = code.utf8.distance(from: code.startIndex, to: condition.lowerBound)
                let start = original.utf8.index(original.startIndex, offsetBy: offset)
                let end = original.utf8.index(start, offsetBy: code.utf8.distance(from: condition.lowerBound, to: condition.upperBound))
                add("negate_if", replacing(condition, in: code, with: "!(" + original[start..<end] + ")"))
            }
            // An early return: alone in the body of an `if` (the line before opens it, the line after closes it).
            let previous = previousCode.trimmingCharacters(in: .whitespaces)
            let next = index + 1 < masked.count ? masked[index + 1].trimmingCharacters(in: .whitespaces) : ""
            if trimmed.hasPrefix("return"), (previous.hasPrefix("if") || previous.hasPrefix("} else if")), previous.hasSuffix("{"), next.hasPrefix("}") {
                add("drop_early_return", nil)
            }
            // A statement that only updates state: `n += 1`, `count++;`, `self.total -= x`.
            if trimmed.wholeMatch(of: /[A-Za-z_][\w.\[\]>-]*\s*(\+=|-=|\*=|\/=|\|=|&=)\s*[^=].*/) != nil
                || trimmed.wholeMatch(of: /([A-Za-z_][\w.\[\]>-]*(\+\+|--)|(\+\+|--)[A-Za-z_][\w.]*)\s*;/) != nil
            {
                add("drop_state_update", nil)
            }
        }
        return found + blockCandidates(scanned) + defaults.candidates
    }

    /// The condition of a one-line `if` (C: inside `if (…)`; Swift: between `if`/`guard` and
    /// `{`/`else {`, without bindings or `case`), as a range of the masked line.
    static func ifCondition(_ code: String, language: String) -> Range<String.Index>? {
        if language == "c" {
            guard let keyword = code.firstMatch(of: /\bif\s*\(/) else { return nil }
            var level = 0
            var index = code.index(before: keyword.range.upperBound)
            let open = code.index(after: index)
            while index < code.endIndex {
                if code[index] == "(" { level += 1 }
                if code[index] == ")" {
                    level -= 1
                    if level == 0 { return open < index ? open..<index : nil }
                }
                index = code.index(after: index)
            }
            return nil
        }
        guard let match = code.firstMatch(of: /^\s*(?:\}\s*else\s+)?(?:if|guard)\s+(.+?)\s+(?:else\s+)?\{\s*$/) else { return nil }
        let condition = match.output.1
        if condition.contains("let ") || condition.contains("var ") || condition.contains("case ") || condition.contains(",") || condition.contains("#") {
            return nil
        }
        return condition.startIndex..<condition.endIndex
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

    /// A unified diff replacing line `index` with `replacement` (nil: deleting it), three lines of context.
    static func lineDiff(file: String, lines: [String], index: Int, replacement: String?) -> String {
        diff(file: file, lines: lines, replacing: index..<(index + 1), with: replacement.map { [$0] } ?? [])
    }

    /// A unified diff replacing the lines `range` with `replacement`, three lines of context.
    static func diff(file: String, lines: [String], replacing range: Range<Int>, with replacement: [String]) -> String {
        let start = max(0, range.lowerBound - 3)
        let end = min(lines.count, range.upperBound + 3)
        let newCount = end - start - range.count + replacement.count
        var text = "diff --git a/\(file) b/\(file)\n--- a/\(file)\n+++ b/\(file)\n"
        text += "@@ -\(start + 1),\(end - start) +\(start + 1),\(newCount) @@\n"
        for line in start..<range.lowerBound { text += " " + lines[line] + "\n" }
        for line in range { text += "-" + lines[line] + "\n" }
        for line in replacement { text += "+" + line + "\n" }
        for line in range.upperBound..<end { text += " " + lines[line] + "\n" }
        return text
    }
}

import Foundation

/// Writes a synthesized task's problem statement without a model: an issue report built
/// from the failing tests' names, the failing assertion and its message (pytest's
/// `>` and `E` lines), never holding a line the gold patch changes.
public enum ProblemStatementWriter {
    /// Which kind wrote a statement (`statement_source` in task.json).
    public static let source = "failing-tests"

    /// The statement for `failToPass`, read from the log of the run with the bug.
    public static func statement(failToPass: [String], log: String, goldPatch: String, limit: Int = 5) -> String {
        let changed = changedLines(goldPatch)
        let blocks = failureBlocks(log)
        let summaries = summaryMessages(log)
        var text = "Tests fail after a recent change: "
        text += failToPass.prefix(2).map { "`\(shortName($0))`" }.joined(separator: ", ")
        if failToPass.count > 2 { text += " and \(failToPass.count - 2) more" }
        text += "\n\nThese tests passed before and fail now:\n"
        for test in failToPass.prefix(limit) {
            text += "\n- `\(test)`"
            var evidence = (blocks[blockHeader(test)] ?? []).filter { line in !changed.contains { contains(line, $0) } }
            if evidence.isEmpty, let message = summaries[test], !changed.contains(where: { contains(message, $0) }) {
                evidence = [message]
            }
            if !evidence.isEmpty {
                text += "\n\n  ```\n" + evidence.prefix(8).map { "  " + $0 }.joined(separator: "\n") + "\n  ```\n"
            } else {
                text += "\n"
            }
        }
        if failToPass.count > limit { text += "\n…and \(failToPass.count - limit) more failing tests.\n" }
        text += "\nThe rest of the suite still passes. Please find the cause in the library code and fix it; the tests are right.\n"
        return text
    }

    /// Whether `statement` holds any line the patch adds or removes (trimmed, at least 4
    /// characters), as whole words: `pass` leaks, `passes` does not.
    public static func leaks(_ statement: String, goldPatch: String) -> Bool {
        changedLines(goldPatch).contains { contains(statement, $0) }
    }

    /// `text` holds `line` with no identifier character glued to either end.
    static func contains(_ text: String, _ line: String) -> Bool {
        func isWord(_ character: Character?) -> Bool { character.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
        var searchStart = text.startIndex
        while let found = text.range(of: line, range: searchStart..<text.endIndex) {
            let before = found.lowerBound > text.startIndex ? text[text.index(before: found.lowerBound)] : nil
            let after = found.upperBound < text.endIndex ? text[found.upperBound] : nil
            if !(isWord(line.first) && isWord(before)) && !(isWord(line.last) && isWord(after)) { return true }
            searchStart = text.index(after: found.lowerBound)
        }
        return false
    }

    static func changedLines(_ patch: String) -> [String] {
        patch.split(separator: "\n").compactMap { line -> String? in
            guard (line.hasPrefix("+") && !line.hasPrefix("+++")) || (line.hasPrefix("-") && !line.hasPrefix("---")) else { return nil }
            let trimmed = line.dropFirst().trimmingCharacters(in: .whitespaces)
            return trimmed.count >= 4 ? trimmed : nil
        }
    }

    /// `tests/test_calc.py::TestX::test_y[1]` → `TestX.test_y[1]`, the header pytest gives its failure.
    static func blockHeader(_ test: String) -> String {
        guard let range = test.range(of: "::") else { return test }
        return test[range.upperBound...].replacingOccurrences(of: "::", with: ".")
    }

    static func shortName(_ test: String) -> String {
        blockHeader(test)
    }

    /// Each failure section of a pytest log (`____ name ____`): its `>` and `E` lines.
    static func failureBlocks(_ log: String) -> [String: [String]] {
        var blocks: [String: [String]] = [:]
        var current: String?
        for raw in log.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("___"), line.hasSuffix("___") {
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "_ "))
                current = name.isEmpty ? nil : name
                if let current { blocks[current] = [] }
                continue
            }
            if line.hasPrefix("====") { current = nil }
            guard let name = current else { continue }
            if line.hasPrefix(">") || line.hasPrefix("E ") {
                let marker = line.hasPrefix(">") ? ">" : "E"
                let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if !body.isEmpty { blocks[name, default: []].append(marker + " " + body) }
            }
        }
        return blocks
    }

    /// `FAILED id - message` lines of pytest's short summary.
    static func summaryMessages(_ log: String) -> [String: String] {
        var messages: [String: String] = [:]
        for raw in log.split(separator: "\n") where raw.hasPrefix("FAILED ") || raw.hasPrefix("ERROR ") {
            let rest = raw.drop { $0 != " " }.dropFirst()
            guard let separator = rest.range(of: " - ") else { continue }
            messages[String(rest[..<separator.lowerBound])] = String(rest[separator.upperBound...])
        }
        return messages
    }
}

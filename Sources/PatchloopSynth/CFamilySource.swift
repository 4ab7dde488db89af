import Foundation

/// A Swift or C file as bytes, original and masked (comments, strings, character literals
/// and C preprocessor lines blanked, every byte in its place), for the operators whose
/// change spans lines or needs matching brackets: they find their spot in the masked
/// bytes and edit the original ones at the same offsets.
struct CFamilySource {
    let file: String
    let language: String
    let original: [UInt8]
    let masked: [UInt8]
    let lines: [String]
    /// Where each line starts; one more entry than `lines`, the byte count.
    let lineStarts: [Int]
    /// The brace depth before each byte.
    let depth: [Int]
    /// The function each line belongs to (`CFamilyBugCandidates.functionName`), "" before the first.
    let functions: [String]

    init?(file: String, language: String, source: String, maskedSource: String) {
        let original = Array(source.utf8)
        let masked = Array(maskedSource.utf8)
        guard original.count == masked.count, original.last == UInt8(ascii: "\n") else { return nil }
        self.file = file
        self.language = language
        self.original = original
        self.masked = masked
        lines = source.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        var starts = [0]
        var depth: [Int] = []
        depth.reserveCapacity(masked.count)
        var level = 0
        for (offset, byte) in masked.enumerated() {
            depth.append(level)
            if byte == UInt8(ascii: "{") { level += 1 }
            if byte == UInt8(ascii: "}") { level -= 1 }
            if byte == UInt8(ascii: "\n") { starts.append(offset + 1) }
        }
        lineStarts = starts
        self.depth = depth
        var function = ""
        functions = maskedSource.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            if let name = CFamilyBugCandidates.functionName(String(line), language: language) { function = name }
            return function
        }
        guard lines.count + 1 == lineStarts.count, functions.count == lines.count else { return nil }
    }

    // MARK: - Reading the masked bytes

    static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// The 0-based line holding byte `offset`.
    func line(of offset: Int) -> Int {
        var low = 0
        var high = lines.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Whether `offset` lies in a function body: the operators change code, never declarations.
    func inFunction(_ offset: Int) -> Bool {
        offset < masked.count && depth[offset] > 0 && !functions[line(of: offset)].isEmpty
    }

    /// The masked text of `range`.
    func text(_ range: Range<Int>) -> String { String(decoding: masked[range], as: UTF8.self) }

    /// The original text of `range`.
    func originalText(_ range: Range<Int>) -> String { String(decoding: original[range], as: UTF8.self) }

    /// Whether the masked bytes at `offset` spell `text`.
    func has(_ text: String, at offset: Int) -> Bool {
        let count = text.utf8.count
        return offset >= 0 && offset + count <= masked.count && masked[offset] == text.utf8.first
            && masked[offset..<(offset + count)].elementsEqual(text.utf8)
    }

    /// Whether the word `word` (not part of a longer name) starts at `offset`.
    func hasWord(_ word: String, at offset: Int) -> Bool {
        let end = offset + word.utf8.count
        return has(word, at: offset) && (offset == 0 || !Self.isIdentifier(masked[offset - 1]))
            && (end >= masked.count || !Self.isIdentifier(masked[end]))
    }

    /// Every offset where the word `word` starts in code.
    func occurrences(of word: String) -> [Int] {
        let first = Array(word.utf8)[0]
        return masked.indices.filter { masked[$0] == first && hasWord(word, at: $0) }
    }

    /// Whether only whitespace comes before `offset` on its line.
    func startsLine(_ offset: Int) -> Bool {
        masked[lineStarts[line(of: offset)]..<offset].allSatisfy(Self.isSpace)
    }

    /// Whether only whitespace comes after `offset` on its line.
    func endsLine(_ offset: Int) -> Bool {
        masked[(offset + 1)..<lineStarts[line(of: offset) + 1]].allSatisfy(Self.isSpace)
    }

    /// The first offset at or after `offset` that is not whitespace (the byte count if none).
    func skippingSpace(from offset: Int) -> Int {
        var index = offset
        while index < masked.count, Self.isSpace(masked[index]) { index += 1 }
        return index
    }

    /// The last offset before `offset` that is not whitespace.
    func previousNonSpace(before offset: Int) -> Int? {
        var index = offset - 1
        while index >= 0, Self.isSpace(masked[index]) { index -= 1 }
        return index >= 0 ? index : nil
    }

    /// The bracket that closes the `(`, `[` or `{` at `open` (brackets of all three kinds nest).
    func matching(_ open: Int) -> Int? {
        var level = 0
        for index in open..<masked.count {
            switch masked[index] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): level += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                level -= 1
                if level == 0 { return index }
                if level < 0 { return nil }
            default: break
            }
        }
        return nil
    }

    /// `range` cut at each `separator` outside brackets.
    func split(_ range: Range<Int>, at separator: UInt8) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        var level = 0
        for index in range {
            switch masked[index] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): level += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"): level -= 1
            case separator where level == 0:
                parts.append(start..<index)
                start = index + 1
            default: break
            }
        }
        parts.append(start..<range.upperBound)
        return parts
    }

    /// `range` without the whitespace around it (the original's, so a literal at either end stays inside).
    func trimmed(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, Self.isSpace(original[lower]) { lower += 1 }
        while upper > lower, Self.isSpace(original[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// The first `byte` at or after `offset` outside brackets opened after `offset`; nil when a
    /// bracket opened before it closes first.
    func nextTopLevel(_ byte: UInt8, from offset: Int) -> Int? {
        var level = 0
        for index in offset..<masked.count {
            switch masked[index] {
            case byte where level == 0: return index
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): level += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                level -= 1
                if level < 0 { return nil }
            default: break
            }
        }
        return nil
    }

    /// Whether `range` holds a byte `byte` outside brackets.
    func containsAtTopLevel(_ byte: UInt8, in range: Range<Int>) -> Bool {
        split(range, at: byte).count > 1
    }

    // MARK: - Making a candidate

    /// A candidate from edits of the original bytes (ranges of byte offsets and their new text,
    /// not overlapping); nil when they change nothing. Its diff spans the lines the edits touch.
    func candidate(_ operatorName: String, function: String, edits: [(range: Range<Int>, text: String)]) -> BugCandidate? {
        guard let low = edits.map(\.range.lowerBound).min(), let high = edits.map({ max($0.range.upperBound - 1, $0.range.lowerBound) }).max()
        else { return nil }
        let first = line(of: low)
        let last = line(of: high)
        let start = lineStarts[first]
        var segment = Array(original[start..<lineStarts[last + 1]])
        for edit in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            segment.replaceSubrange((edit.range.lowerBound - start)..<(edit.range.upperBound - start), with: Array(edit.text.utf8))
        }
        let text = String(decoding: segment, as: UTF8.self)
        var replacement = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if replacement.last == "" { replacement.removeLast() }
        guard replacement != Array(lines[first...last]) else { return nil }
        return BugCandidate(
            file: file, operatorName: operatorName, function: function, line: first + 1,
            diff: CFamilyBugCandidates.diff(file: file, lines: lines, replacing: first..<(last + 1), with: replacement), compiles: true)
    }
}

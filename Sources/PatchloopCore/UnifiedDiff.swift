import Foundation
/// A unified diff (`git diff` output) read into files and hunks.
public struct UnifiedDiff: Sendable, Hashable {
    /// One file's part of a diff.
    public struct FileChange: Sendable, Hashable {
        /// The path before the change (`nil` for a new file).
        public var oldPath: String?
        /// The path after the change (`nil` for a deleted file).
        public var newPath: String?
        public var hunks: [Hunk]
        public var isBinary: Bool

        /// The path this change is known by: the new one, or the old one for a deletion.
        public var path: String { newPath ?? oldPath ?? "" }
    }

    /// One `@@ -a,b +c,d @@` block.
    public struct Hunk: Sendable, Hashable {
        public var oldStart: Int
        public var newStart: Int
        public var lines: [Line]

        /// The text the hunk replaces (context and removed lines).
        public var oldText: String { text(keeping: [.context, .removed]) }
        /// The text the hunk puts in its place (context and added lines).
        public var newText: String { text(keeping: [.context, .added]) }

        private func text(keeping kinds: Set<Line.Kind>) -> String {
            var result = ""
            for line in lines where kinds.contains(line.kind) {
                result += line.text
                if line.hasNewline { result += "\n" }
            }
            return result
        }
    }

    public struct Line: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case context, added, removed }
        public var kind: Kind
        public var text: String
        /// False for a last line marked `\ No newline at end of file`.
        public var hasNewline: Bool
    }

    public var files: [FileChange]

    /// Reads `git diff` / `diff -u` text. Lines outside any file section are ignored.
    public static func parse(_ text: String) -> UnifiedDiff {
        var files: [FileChange] = []
        var current: FileChange?
        var hunk: Hunk?
        var oldRemaining = 0
        var newRemaining = 0

        func flushHunk() {
            if let finished = hunk { current?.hunks.append(finished) }
            hunk = nil
        }
        func flushFile() {
            flushHunk()
            if let finished = current { files.append(finished) }
            current = nil
        }

        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if hunk != nil, oldRemaining > 0 || newRemaining > 0 {
                if line.hasPrefix("+") {
                    hunk?.lines.append(Line(kind: .added, text: String(line.dropFirst()), hasNewline: true))
                    newRemaining -= 1
                    continue
                } else if line.hasPrefix("-") {
                    hunk?.lines.append(Line(kind: .removed, text: String(line.dropFirst()), hasNewline: true))
                    oldRemaining -= 1
                    continue
                } else if line.hasPrefix(" ") || line.isEmpty {
                    hunk?.lines.append(Line(kind: .context, text: String(line.dropFirst()), hasNewline: true))
                    oldRemaining -= 1
                    newRemaining -= 1
                    continue
                }
            }
            if line.hasPrefix("\\ ") {
                if var last = hunk?.lines.popLast() {
                    last.hasNewline = false
                    hunk?.lines.append(last)
                }
                continue
            }
            if line.hasPrefix("diff --git ") {
                flushFile()
                let (oldPath, newPath) = pathsFromDiffGitLine(line)
                current = FileChange(oldPath: oldPath, newPath: newPath, hunks: [], isBinary: false)
            } else if line.hasPrefix("--- ") {
                if current == nil || !(current?.hunks.isEmpty ?? true) || hunk != nil {
                    flushFile()
                    current = FileChange(oldPath: nil, newPath: nil, hunks: [], isBinary: false)
                }
                current?.oldPath = stripPrefix(String(line.dropFirst(4)))
            } else if line.hasPrefix("+++ ") {
                current?.newPath = stripPrefix(String(line.dropFirst(4)))
            } else if line.hasPrefix("Binary files ") || line.hasPrefix("GIT binary patch") {
                current?.isBinary = true
            } else if line.hasPrefix("new file mode") {
                current?.oldPath = nil
            } else if line.hasPrefix("deleted file mode") {
                current?.newPath = nil
            } else if line.hasPrefix("@@ ") {
                flushHunk()
                let header = parseHunkHeader(line)
                hunk = Hunk(oldStart: header.oldStart, newStart: header.newStart, lines: [])
                oldRemaining = header.oldCount
                newRemaining = header.newCount
            }
        }
        flushFile()
        return UnifiedDiff(files: files)
    }

    /// Every path the diff touches (old and new names), in order, without repeats.
    public var touchedPaths: [String] {
        var seen = Set<String>()
        var result: [String] = []
        for file in files {
            for path in [file.oldPath, file.newPath].compactMap({ $0 }) where seen.insert(path).inserted {
                result.append(path)
            }
        }
        return result
    }

    private static func stripPrefix(_ path: String) -> String? {
        var path = path
        if let tab = path.firstIndex(of: "\t") { path = String(path[..<tab]) }
        if path == "/dev/null" { return nil }
        if path.hasPrefix("\"") && path.hasSuffix("\"") && path.count >= 2 { path = String(path.dropFirst().dropLast()) }
        if path.hasPrefix("a/") || path.hasPrefix("b/") { return String(path.dropFirst(2)) }
        return path
    }

    private static func pathsFromDiffGitLine(_ line: String) -> (String?, String?) {
        let rest = line.dropFirst("diff --git ".count)
        // `a/X b/X`: split at the " b/" that leaves two equal halves when possible.
        if let range = rest.range(of: " b/", options: .backwards) {
            let old = String(rest[..<range.lowerBound])
            let new = "b/" + rest[range.upperBound...]
            return (stripPrefix(old), stripPrefix(new))
        }
        return (nil, nil)
    }

    private static func parseHunkHeader(_ line: String) -> (oldStart: Int, oldCount: Int, newStart: Int, newCount: Int) {
        // @@ -12,5 +12,6 @@ optional section
        let parts = line.split(separator: " ")
        func range(_ part: Substring?) -> (Int, Int) {
            guard let part else { return (0, 0) }
            let numbers = part.dropFirst().split(separator: ",")
            let start = Int(numbers.first ?? "0") ?? 0
            let count = numbers.count > 1 ? Int(numbers[1]) ?? 1 : 1
            return (start, count)
        }
        let old = range(parts.count > 1 ? parts[1] : nil)
        let new = range(parts.count > 2 ? parts[2] : nil)
        return (old.0, old.1, new.0, new.1)
    }
}

import Foundation
import PatchloopCore
import PatchloopWorkspace

/// Runs a tool body, turning argument and path errors into observations.
func guarded(_ body: () async throws -> Observation) async -> Observation {
    do {
        return try await body()
    } catch let error as ArgumentError {
        return .error(error.description, facts: ["format_error": true])
    } catch let error as PathConfinementError {
        return .error(error.description, facts: ["path_refused": true])
    } catch {
        return .error(ErrorText.sentence(for: error))
    }
}

/// Facts about a file's bytes that decide whether it can be shown as text.
enum TextFile {
    /// A NUL byte in the first 8 KiB marks a file as binary (git's own rule).
    static func isBinary(_ data: Data) -> Bool {
        data.prefix(8192).contains(0)
    }

    static func read(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Splits text into lines without their terminators; a final newline makes no extra line.
    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { lines.removeLast() }
        return lines
    }
}

/// `read_file`: numbered lines of a text file, a window at a time.
public struct ReadFileTool: Tool {
    /// Lines shown when no range is asked for, and at most per call.
    public static let windowLines = 400
    /// Longer lines are cut (minified files, data).
    public static let maximumLineLength = 2000

    public init() {}

    public let name = "read_file"
    public let description = """
        Read a text file of the repository, with line numbers. Large files come in windows of \(ReadFileTool.windowLines) \
        lines; use start_line and end_line (1-based, inclusive) to see other parts. A directory path lists its entries.
        """
    public var parameters: JSONValue {
        [
            "type": "object",
            "properties": [
                "path": ["type": "string", "description": "Path relative to the repository root."],
                "start_line": ["type": "integer", "description": "First line to show (1-based). Default 1."],
                "end_line": ["type": "integer", "description": "Last line to show (inclusive)."],
            ],
            "required": ["path"],
        ]
    }

    public func run(arguments: ToolArguments, context: ToolContext) async -> Observation {
        await guarded {
            let relativePath = try arguments.requiredString("path")
            let startArgument = try arguments.optionalInt("start_line")
            let endArgument = try arguments.optionalInt("end_line")
            let path = try context.confinement.resolve(relativePath)
            let shown = context.confinement.relative(path)
            guard FileManager.default.fileExists(atPath: path) else {
                return .error("\(shown) does not exist. \(Listing.hint(near: path, confinement: context.confinement))")
            }
            if TextFile.isDirectory(path) {
                return Observation(text: Listing.list(directory: path, confinement: context.confinement), facts: ["path": .string(shown), "directory": true])
            }
            let data = try TextFile.read(path)
            if TextFile.isBinary(data) {
                return .error("\(shown) is a binary file (\(data.count) bytes); read_file shows text files only.")
            }
            let lines = TextFile.lines(String(decoding: data, as: UTF8.self))
            if lines.isEmpty {
                return Observation(text: "\(shown) is empty.", facts: ["path": .string(shown), "total_lines": 0])
            }
            if let startArgument, startArgument > lines.count {
                return .error("\(shown) has \(lines.count) lines; start_line \(startArgument) is past its end.")
            }
            let start = max(1, startArgument ?? 1)
            var end = min(lines.count, endArgument ?? (start + ReadFileTool.windowLines - 1))
            if end < start {
                return .error("end_line \(end) is before start_line \(start).")
            }
            end = min(end, start + ReadFileTool.windowLines - 1)
            let width = String(end).count
            var text = ""
            for number in start...end {
                var line = String(lines[number - 1])
                if line.count > ReadFileTool.maximumLineLength {
                    line = String(line.prefix(ReadFileTool.maximumLineLength)) + " [… line cut at \(ReadFileTool.maximumLineLength) characters]"
                }
                let label = String(number)
                text += String(repeating: " ", count: width - label.count) + label + "\t" + line + "\n"
            }
            if start > 1 || end < lines.count {
                text += "[\(shown): lines \(start)-\(end) of \(lines.count)"
                if end < lines.count { text += "; call read_file with start_line=\(end + 1) to see more" }
                text += "]\n"
            }
            return Observation(
                text: text,
                facts: ["path": .string(shown), "total_lines": .number(Double(lines.count)), "start_line": .number(Double(start)), "end_line": .number(Double(end))])
        }
    }
}

/// Directory listings for `read_file` on a directory, and hints for a missing path.
enum Listing {
    static func list(directory: String, confinement: PathConfinement, limit: Int = 200) -> String {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { !$0.hasPrefix(".") }
            .sorted()
        let shown = confinement.relative(directory)
        var text = "\(shown) is a directory with \(entries.count) entries (hidden ones left out):\n"
        for entry in entries.prefix(limit) {
            text += entry + (TextFile.isDirectory(directory + "/" + entry) ? "/" : "") + "\n"
        }
        if entries.count > limit { text += "[… \(entries.count - limit) more]\n" }
        return text
    }

    /// What is in the nearest existing parent directory, so the model can correct a path.
    static func hint(near path: String, confinement: PathConfinement) -> String {
        var parent = (path as NSString).deletingLastPathComponent
        while !TextFile.isDirectory(parent), parent.count > confinement.root.count {
            parent = (parent as NSString).deletingLastPathComponent
        }
        guard parent.hasPrefix(confinement.root) else { return "" }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted().prefix(40)
        let where_ = confinement.relative(parent)
        return "Entries of \(where_ == "." ? "the repository root" : where_ + "/"): "
            + entries.map { $0 + (TextFile.isDirectory(parent + "/" + $0) ? "/" : "") }.joined(separator: ", ")
    }
}

/// `edit`: replace the one occurrence of a text, or create a new file.
public struct EditTool: Tool {
    public init() {}

    public let name = "edit"
    public let description = """
        Replace the one occurrence of old_str in a file with new_str (exact text, whitespace included; give enough \
        surrounding lines to make old_str unique). An empty old_str creates a new file with new_str as its content.
        """
    public var parameters: JSONValue {
        [
            "type": "object",
            "properties": [
                "path": ["type": "string", "description": "Path relative to the repository root."],
                "old_str": ["type": "string", "description": "The exact text to replace; empty to create a new file."],
                "new_str": ["type": "string", "description": "The text to put in its place."],
            ],
            "required": ["path", "old_str", "new_str"],
        ]
    }

    public func run(arguments: ToolArguments, context: ToolContext) async -> Observation {
        await guarded {
            let relativePath = try arguments.requiredString("path")
            let oldText = try arguments.requiredString("old_str")
            let newText = try arguments.requiredString("new_str")
            let path = try context.confinement.resolve(relativePath)
            let shown = context.confinement.relative(path)
            if oldText.isEmpty {
                return try create(path: path, shown: shown, content: newText)
            }
            guard FileManager.default.fileExists(atPath: path) else {
                return .error("\(shown) does not exist (to create it, send an empty old_str). \(Listing.hint(near: path, confinement: context.confinement))")
            }
            if TextFile.isDirectory(path) { return .error("\(shown) is a directory, not a file.") }
            let data = try TextFile.read(path)
            if TextFile.isBinary(data) { return .error("\(shown) is a binary file; edit changes text files only.") }
            let original = String(decoding: data, as: UTF8.self)
            if oldText == newText { return .error("old_str and new_str are the same; nothing would change.") }

            let matches = occurrences(of: oldText, in: original)
            if matches.isEmpty {
                return .error("old_str was not found in \(shown). " + nearMiss(oldText, in: original))
            }
            if matches.count > 1 {
                let lineNumbers = matches.map { lineNumber(at: $0, in: original) }
                return .error(
                    "old_str occurs \(matches.count) times in \(shown), at lines \(lineNumbers.map(String.init).joined(separator: ", ")). "
                        + "Include more surrounding lines so that it matches exactly once.")
            }
            let range = matches[0]
            let updated = original.replacingCharacters(in: range, with: newText)
            try writeAtomically(updated, to: path)
            let firstLine = lineNumber(at: range, in: original)
            let snippet = numberedSnippet(of: updated, around: firstLine, lineCount: TextFile.lines(newText).count)
            let removed = TextFile.lines(oldText).count
            let added = TextFile.lines(newText).count
            return Observation(
                text: "Edited \(shown): replaced \(removed) line\(removed == 1 ? "" : "s") with \(added) at line \(firstLine).\n" + snippet,
                facts: ["path": .string(shown), "files_touched": [.string(shown)], "line": .number(Double(firstLine))])
        }
    }

    private func create(path: String, shown: String, content: String) throws -> Observation {
        if FileManager.default.fileExists(atPath: path) {
            if TextFile.isDirectory(path) { return .error("\(shown) is a directory.") }
            return .error("\(shown) already exists; to change it, give the text to replace as old_str.")
        }
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try writeAtomically(content, to: path)
        let lines = TextFile.lines(content).count
        return Observation(
            text: "Created \(shown) (\(lines) line\(lines == 1 ? "" : "s")).",
            facts: ["path": .string(shown), "files_touched": [.string(shown)], "created": true])
    }

    private func occurrences(of needle: String, in text: String) -> [Range<String.Index>] {
        var result: [Range<String.Index>] = []
        var searchStart = text.startIndex
        while searchStart < text.endIndex, let found = text.range(of: needle, options: .literal, range: searchStart..<text.endIndex) {
            result.append(found)
            searchStart = text.index(after: found.lowerBound)
        }
        return result
    }

    private func lineNumber(at range: Range<String.Index>, in text: String) -> Int {
        text[text.startIndex..<range.lowerBound].utf8.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
    }

    /// Explains a miss: the same lines with other indentation, or where the first line is.
    private func nearMiss(_ oldText: String, in text: String) -> String {
        let wanted = TextFile.lines(oldText).map { $0.trimmingCharacters(in: .whitespaces) }
        let lines = TextFile.lines(text).map { $0.trimmingCharacters(in: .whitespaces) }
        if let first = wanted.first(where: { !$0.isEmpty }) {
            let hits = lines.indices.filter { lines[$0] == first }
            if !hits.isEmpty, wanted.count <= lines.count {
                for hit in hits {
                    let start = hit - (wanted.firstIndex(of: first) ?? 0)
                    if start >= 0, start + wanted.count <= lines.count, Array(lines[start..<(start + wanted.count)]) == wanted {
                        return "The same lines with different whitespace or indentation are at line \(start + 1); copy them exactly (read_file shows them)."
                    }
                }
                return "Its first line appears at line\(hits.count == 1 ? "" : "s") \(hits.prefix(10).map { String($0 + 1) }.joined(separator: ", ")), but the following lines differ; read_file the file and copy the text exactly."
            }
        }
        return "Use read_file to see the current text and copy it exactly, whitespace included."
    }

    private func numberedSnippet(of text: String, around line: Int, lineCount: Int) -> String {
        let lines = TextFile.lines(text)
        guard !lines.isEmpty else { return "" }
        let start = max(1, line - 3)
        let end = min(lines.count, line + max(lineCount, 1) + 2)
        guard start <= end else { return "" }
        return (start...end).map { "\($0)\t\(lines[$0 - 1])" }.joined(separator: "\n") + "\n"
    }
}

/// Writes through a temporary file and a rename, keeping the file's permissions: a
/// crash never leaves half a file, and a hard-linked original is never written through.
func writeAtomically(_ text: String, to path: String) throws {
    let temporary = path + ".patchloop-\(UUID().uuidString.prefix(8))"
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
    if let permissions = attributes?[.posixPermissions] {
        try? FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: temporary)
    }
    guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(atPath: temporary)
        throw ArgumentError("cannot write \(path): \(reason)")
    }
}

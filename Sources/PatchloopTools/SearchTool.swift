import Foundation
import PatchloopCore
import PatchloopWorkspace

/// `search`: a regular-expression (or fixed-string) search over the worktree that
/// skips what git ignores. Uses ripgrep when installed, and its own reader otherwise.
public struct SearchTool: Tool {
    /// Matches shown per call; the total is always reported.
    public static let resultLimit = 100
    static let maximumLineLength = 300

    /// Bytes of ripgrep's output kept: enough for the shown matches many times over. A
    /// search that prints more is still counted whole, from ripgrep's `--stats` at the end.
    let ripgrepOutputBytes: Int

    public init() {
        self.init(ripgrepOutputBytes: 4 << 20)
    }

    init(ripgrepOutputBytes: Int) {
        self.ripgrepOutputBytes = ripgrepOutputBytes
    }

    public let name = "search"
    public let description = """
        Search the repository's files (what git ignores is skipped) for a regular expression, or a fixed string with \
        fixed=true. Results are `file:line: text`, at most \(SearchTool.resultLimit), with the total count. Narrow with \
        path (a file or directory) and glob (e.g. "*.py").
        """
    public var parameters: JSONValue {
        [
            "type": "object",
            "properties": [
                "pattern": ["type": "string", "description": "Regular expression (or fixed text with fixed=true)."],
                "path": ["type": "string", "description": "File or directory to search, relative to the root. Default: all."],
                "glob": ["type": "string", "description": "Only files whose name matches this glob, e.g. \"*.py\"."],
                "fixed": ["type": "boolean", "description": "Treat pattern as plain text, not a regex."],
            ],
            "required": ["pattern"],
        ]
    }

    /// One matching line.
    struct Match: Hashable {
        var path: String
        var line: Int
        var text: String
    }

    public func run(arguments: ToolArguments, context: ToolContext) async -> Observation {
        await guarded {
            let pattern = try arguments.requiredString("pattern")
            let relativePath = try arguments.optionalString("path") ?? ""
            let glob = try arguments.optionalString("glob")
            let fixed = try arguments.optionalBool("fixed") ?? false
            if pattern.isEmpty { return .error("pattern is empty; give the text or regular expression to look for.") }
            let scope = try context.confinement.resolve(relativePath)
            guard FileManager.default.fileExists(atPath: scope) else {
                return .error("\(relativePath) does not exist. \(Listing.hint(near: scope, confinement: context.confinement))")
            }
            let started = Date()
            let useRipgrep = context.preferRipgrep
                && ProcessRunner.resolveExecutable("rg", environment: ProcessEnvironment.allowListed()) != nil
            let result: (matches: [Match], total: Int)
            if useRipgrep {
                switch try await ripgrep(pattern: pattern, scope: scope, glob: glob, fixed: fixed, context: context) {
                case .success(let found): result = found
                case .failure(let message): return .error(message, facts: ["engine": "ripgrep"])
                }
            } else {
                let regex: NSRegularExpression?
                if fixed {
                    regex = nil
                } else {
                    do {
                        regex = try NSRegularExpression(pattern: pattern)
                    } catch {
                        return .error("invalid regular expression '\(pattern)'; fix it, or pass fixed=true to search for the text as is.", facts: ["engine": "builtin"])
                    }
                }
                result = try await builtinSearch(pattern: pattern, regex: regex, scope: scope, glob: glob, context: context)
            }
            let facts: [String: JSONValue] = [
                "total_matches": .number(Double(result.total)), "engine": .string(useRipgrep ? "ripgrep" : "builtin"),
                "duration": .number(Date().timeIntervalSince(started)),
            ]
            if result.total == 0 {
                return Observation(text: "No matches for \(fixed ? "text" : "pattern") '\(pattern)'.", facts: facts)
            }
            var text = result.matches.prefix(SearchTool.resultLimit).map { match in
                var line = match.text
                if line.count > SearchTool.maximumLineLength { line = String(line.prefix(SearchTool.maximumLineLength)) + " […]" }
                return "\(match.path):\(match.line): \(line)"
            }.joined(separator: "\n")
            if result.total > SearchTool.resultLimit {
                text += "\n[\(SearchTool.resultLimit) of \(result.total) matches shown; narrow the search with path or glob]"
            } else {
                text += "\n[\(result.total) match\(result.total == 1 ? "" : "es")]"
            }
            return Observation(text: text, facts: facts)
        }
    }

    private enum RipgrepResult {
        case success((matches: [Match], total: Int))
        case failure(String)
    }

    private func ripgrep(pattern: String, scope: String, glob: String?, fixed: Bool, context: ToolContext) async throws -> RipgrepResult {
        var arguments = [
            "--line-number", "--no-heading", "--with-filename", "--color", "never", "--sort", "path",
            "--max-columns", "2000", "--no-config", "-0", "--stats",
        ]
        if fixed { arguments.append("--fixed-strings") }
        if let glob { arguments += ["--glob", glob] }
        arguments += ["-e", pattern, "--", context.confinement.relative(scope)]
        let outcome = try await context.runner.run(
            ProcessSpec(
                executable: "rg", arguments: arguments, workingDirectory: context.confinement.root,
                // The tail keeps the statistics ripgrep prints last, however much output is dropped before them.
                timeout: 60, outputLimit: OutputLimit(headBytes: ripgrepOutputBytes, tailBytes: 4096)))
        if outcome.timedOut { return .failure("the search took over 60 s; narrow it with path or glob.") }
        let found = SearchTool.readRipgrepOutput(outcome.standardOutput)
        if outcome.exitCode == 2 && found.total == 0 {
            let said = outcome.standardError.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return .failure("invalid search: \(said)\nFix the pattern, or pass fixed=true to search for the text as is.")
        }
        return .success(found)
    }

    /// Reads ripgrep's `path\0line:text` lines from its raw bytes: only the shown matches
    /// become strings, every other line is only counted. Turning the whole output into
    /// Swift strings made a broad search (30,000 matches) several times slower than ripgrep.
    static func readRipgrepOutput(_ output: CapturedOutput) -> (matches: [Match], total: Int) {
        var matches: [Match] = []
        var total = 0
        // The tail is only read apart when bytes were dropped before it (then it holds just the statistics).
        let kept = output.isTruncated || output.tail.isEmpty ? output.head : output.head + output.tail
        kept.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                defer { start = end + 1 }
                // `path\0`, then the line number's digits, then `:`; anything else (the statistics, a note) is not a match.
                guard let nul = bytes[start..<end].firstIndex(of: 0) else { continue }
                var cursor = nul + 1
                var number = 0
                while cursor < end, cursor - nul <= 18, let digit = SearchTool.digit(bytes[cursor]) {
                    number = number * 10 + digit
                    cursor += 1
                }
                guard cursor > nul + 1, cursor < end, bytes[cursor] == UInt8(ascii: ":") else { continue }
                total += 1
                guard matches.count < SearchTool.resultLimit else { continue }
                var path = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<nul]), as: UTF8.self)
                if path.hasPrefix("./") { path.removeFirst(2) }
                // A CRLF file's lines end in "\r": not part of the text shown.
                let textEnd = end > cursor + 1 && bytes[end - 1] == UInt8(ascii: "\r") ? end - 1 : end
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(cursor + 1)..<textEnd]), as: UTF8.self)
                matches.append(Match(path: path, line: number, text: text))
            }
        }
        if output.isTruncated {
            // The lines past the kept bytes were not seen; ripgrep's own count covers them.
            total = max(total, SearchTool.matchedLines(inStatistics: output.tail) ?? 0, SearchTool.resultLimit + 1)
        }
        return (matches, total)
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// The `N matched lines` of ripgrep's `--stats` block.
    static func matchedLines(inStatistics bytes: [UInt8]) -> Int? {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n").reversed() where line.hasSuffix(" matched lines") {
            return Int(line.dropLast(" matched lines".count))
        }
        return nil
    }

    /// The fallback: git's list of tracked and untracked-but-not-ignored files, read here.
    private func builtinSearch(pattern: String, regex: NSRegularExpression?, scope: String, glob: String?, context: ToolContext) async throws
        -> (matches: [Match], total: Int)
    {
        let root = context.confinement.root
        // Only through the sandbox's own git directory: discovery would trust the worktree's `.git`.
        let listing = try await context.git?.runOutcome(["ls-files", "--cached", "--others", "--exclude-standard", "-z"], timeout: 60)
        var files: [String]
        if let listing, listing.succeeded {
            // The per-attempt install's layer is not the repository's (ripgrep skips it as a dot-folder).
            files = listing.standardOutput.text.split(separator: "\0").map(String.init).filter { !$0.hasPrefix(PatchPaths.layerFolder + "/") }
        } else {
            // No git to ask: every file, but never what lies inside a `.git`.
            files = ((FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? [])
                .filter { !$0.split(separator: "/").contains { PatchPaths.isGitDirectoryName($0) } }
        }
        let scopeRelative = context.confinement.relative(scope)
        files = files.filter { scopeRelative == "." || $0 == scopeRelative || $0.hasPrefix(scopeRelative + "/") }
        if let glob {
            files = files.filter { fnmatch(glob, ($0 as NSString).lastPathComponent, 0) == 0 || fnmatch(glob, $0, 0) == 0 }
        }
        var matches: [Match] = []
        var total = 0
        for file in files.sorted() {
            guard let data = try? TextFile.read(root + "/" + file), !TextFile.isBinary(data), data.count <= 8 << 20 else { continue }
            let text = String(decoding: data, as: UTF8.self)
            for (index, line) in TextFile.lines(text).enumerated() {
                let lineText = String(line)
                let hit: Bool
                if let regex {
                    hit = regex.firstMatch(in: lineText, range: NSRange(lineText.startIndex..., in: lineText)) != nil
                } else {
                    hit = lineText.contains(pattern)
                }
                if hit {
                    total += 1
                    if matches.count < SearchTool.resultLimit { matches.append(Match(path: file, line: index + 1, text: lineText)) }
                }
            }
        }
        return (matches, total)
    }
}

/// `run_tests`: the task's test command in the sandbox, parsed into pass/fail.
public struct RunTestsTool: Tool {
    /// How many failing test ids to list.
    static let failureListLimit = 30

    public init() {}

    public let name = "run_tests"
    public let description = """
        Run the repository's tests (the task's test command) in the sandbox, or only the given test ids. Returns the \
        pass/fail counts, the failing test ids and the test output (long output is shortened in the middle).
        """
    public var parameters: JSONValue {
        [
            "type": "object",
            "properties": [
                "tests": [
                    "type": "array", "items": ["type": "string"],
                    "description": "Test ids to run (as the test output names them). Default: the whole suite.",
                ]
            ],
            "required": [],
        ]
    }

    public func run(arguments: ToolArguments, context: ToolContext) async -> Observation {
        await guarded {
            let tests = try arguments.optionalStringList("tests") ?? []
            guard let suite = context.testSuite else {
                return .error("this task has no test command, so run_tests cannot run anything.")
            }
            let report = try await suite.run(tests: tests, in: context.worktree)
            var text = "Tests: \(report.passed.count) passed, \(report.failed.count) failed"
            if !report.skipped.isEmpty { text += ", \(report.skipped.count) skipped" }
            text += " (\(report.timedOut ? "timed out" : report.exitCode.map { "exit \($0)" } ?? "killed"), \(String(format: "%.1f", report.duration)) s)"
            if let note = report.note { text += "\nNote: \(note)" }
            if report.timedOut {
                text += "\nThe test command was stopped at its time limit: something hangs or is too slow."
            }
            if !report.failed.isEmpty {
                text += "\nFailing: " + report.failed.prefix(RunTestsTool.failureListLimit).joined(separator: ", ")
                if report.failed.count > RunTestsTool.failureListLimit { text += ", … (\(report.failed.count - RunTestsTool.failureListLimit) more)" }
            }
            if report.passed.isEmpty && report.failed.isEmpty {
                text += "\nNo test results could be read from the output (a collection or build error?)."
            }
            text += "\n\n" + report.output
            return Observation(
                text: text,
                facts: [
                    "passed": .number(Double(report.passed.count)), "failed": .number(Double(report.failed.count)),
                    "failing_tests": .array(report.failed.prefix(200).map { .string($0) }),
                    "exit_code": report.exitCode.map { .number(Double($0)) } ?? .null,
                    "timed_out": .bool(report.timedOut), "duration": .number(report.duration),
                    "all_passed": .bool(report.allPassed && tests.isEmpty),
                ])
        }
    }
}

/// `submit`: ends the attempt; the worktree's diff from the base is the answer.
public struct SubmitTool: Tool {
    public init() {}

    public let name = "submit"
    public let description = "Finish: submit the current changes to the repository as your answer. Call it once the fix is done and tested."
    public var parameters: JSONValue { ["type": "object", "properties": [:], "required": []] }

    public func run(arguments: ToolArguments, context: ToolContext) async -> Observation {
        Observation(text: "Submitted.", endsAttempt: true)
    }
}

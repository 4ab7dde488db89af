import Foundation
import PatchloopCore
import PatchloopTesting
@testable import PatchloopTools
import Testing

/// A search that matches thousands of lines: the first 100 are shown and all are counted,
/// without the rest being turned into text.
@Suite("search, broad patterns")
struct BroadSearchTests {
    /// 300 files of 20 matching lines (and 20 others) each: 6,000 matches.
    static let files: [String: String] = Dictionary(uniqueKeysWithValues: (0..<300).map { file in
        let lines = (1...40).map { line in line % 2 == 1 ? "value_\(file)_\(line) = compute(\(line))" : "# note \(line)" }
        return (String(format: "pkg%02d/mod%03d.py", file % 30, file), lines.joined(separator: "\n") + "\n")
    })

    /// The first 100 matches in path order, as the observation shows them.
    static var expectedShown: [String] {
        var lines: [String] = []
        for path in files.keys.sorted() {
            for (index, line) in (files[path] ?? "").split(separator: "\n").enumerated() where line.contains("compute(") {
                lines.append("\(path):\(index + 1): \(line)")
            }
        }
        return Array(lines.prefix(SearchTool.resultLimit))
    }

    static func search(_ workspace: Workspace, tool: SearchTool = SearchTool(), ripgrep: Bool, pattern: String) async -> Observation {
        var context = workspace.context
        context.preferRipgrep = ripgrep
        return await tool.run(arguments: ToolArguments(["pattern": .string(pattern)]), context: context)
    }

    @Test("6,000 matches: the first 100 in path order and the total (ripgrep and fallback agree)")
    func broadPattern() async throws {
        let workspace = try await Workspace(BroadSearchTests.files, git: true)
        defer { workspace.directory.remove() }
        for ripgrep in [true, false] {
            let observation = await BroadSearchTests.search(workspace, ripgrep: ripgrep, pattern: #"compute\(\d+\)"#)
            let lines = observation.text.split(separator: "\n").map(String.init)
            #expect(observation.facts["total_matches"] == 6000)
            #expect(Array(lines.dropLast()) == BroadSearchTests.expectedShown)
            #expect(lines.last == "[100 of 6000 matches shown; narrow the search with path or glob]")
        }
    }

    @Test("ripgrep output past the kept bytes is still counted in the total, from ripgrep's statistics")
    func totalPastTheKeptOutput() async throws {
        let workspace = try await Workspace(BroadSearchTests.files, git: true)
        defer { workspace.directory.remove() }
        // 16 KB holds the 100 shown lines but not the other 5,900.
        let observation = await BroadSearchTests.search(workspace, tool: SearchTool(ripgrepOutputBytes: 16 << 10), ripgrep: true, pattern: "compute")
        try #require(observation.facts["engine"] == "ripgrep", "ripgrep is not installed")
        #expect(observation.facts["total_matches"] == 6000)
        #expect(Array(observation.text.split(separator: "\n").map(String.init).dropLast()) == BroadSearchTests.expectedShown)
    }

    @Test("lines of a CRLF file are matches of their own, shown without the carriage return")
    func crlfLines() async throws {
        let workspace = try await Workspace(["dos.txt": "match one\r\nmatch two\r\nother\r\nmatch three\r\n"], git: true)
        defer { workspace.directory.remove() }
        let observation = await BroadSearchTests.search(workspace, ripgrep: true, pattern: "match")
        try #require(observation.facts["engine"] == "ripgrep", "ripgrep is not installed")
        #expect(observation.facts["total_matches"] == 3)
        #expect(observation.text == "dos.txt:1: match one\ndos.txt:2: match two\ndos.txt:4: match three\n[3 matches]")
    }
}

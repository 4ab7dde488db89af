import Foundation
import PatchloopCore
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

@Suite("search")
struct SearchToolTests {
    static let files = [
        "src/app.py": "def handler(event):\n    return event['id']\n",
        "src/util.py": "def helper():\n    return handler(None)\n",
        "docs/notes.md": "handler docs\n",
        "build/generated.py": "def handler(): pass\n",
        ".gitignore": "build/\n",
        // The per-attempt install's layer: never searched.
        ".patchloop-venv/lib/site.py": "def handler_in_layer(x): pass\n",
    ]

    func workspace(ripgrep: Bool) async throws -> Workspace {
        let base = try await Workspace(SearchToolTests.files, git: true)
        return base
    }

    func search(_ workspace: Workspace, ripgrep: Bool, _ arguments: JSONValue) async -> Observation {
        var context = workspace.context
        context.preferRipgrep = ripgrep
        return await Toolbox.standard.run(name: "search", argumentsJSON: arguments.encoded(), context: context)
    }

    @Test("finds matches as file:line: text, skipping what git ignores (ripgrep and fallback agree)", arguments: [true, false])
    func findsMatches(ripgrep: Bool) async throws {
        let workspace = try await workspace(ripgrep: ripgrep)
        defer { workspace.directory.remove() }
        let observation = await search(workspace, ripgrep: ripgrep, ["pattern": "def \\w+\\("])
        #expect(!observation.isError)
        #expect(observation.text.contains("src/app.py:1: def handler(event):"))
        #expect(observation.text.contains("src/util.py:1: def helper():"))
        #expect(!observation.text.contains("build/generated.py"))
        #expect(observation.facts["total_matches"] == 2)
        #expect(observation.facts["engine"] == .string(ripgrep ? "ripgrep" : "builtin"))
    }

    @Test("path, glob and fixed narrow the search", arguments: [true, false])
    func narrowing(ripgrep: Bool) async throws {
        let workspace = try await workspace(ripgrep: ripgrep)
        defer { workspace.directory.remove() }
        let byPath = await search(workspace, ripgrep: ripgrep, ["pattern": "handler", "path": "src/util.py"])
        #expect(byPath.facts["total_matches"] == 1)
        let byGlob = await search(workspace, ripgrep: ripgrep, ["pattern": "handler", "glob": "*.md"])
        #expect(byGlob.text.contains("docs/notes.md:1: handler docs"))
        #expect(byGlob.facts["total_matches"] == 1)
        let fixed = await search(workspace, ripgrep: ripgrep, ["pattern": "event['id']", "fixed": true])
        #expect(fixed.text.contains("src/app.py:2:"))
        let none = await search(workspace, ripgrep: ripgrep, ["pattern": "no_such_name_anywhere"])
        #expect(!none.isError && none.text.contains("No matches"))
    }

    @Test("an invalid regular expression is a clear error", arguments: [true, false])
    func invalidRegex(ripgrep: Bool) async throws {
        let workspace = try await workspace(ripgrep: ripgrep)
        defer { workspace.directory.remove() }
        let observation = await search(workspace, ripgrep: ripgrep, ["pattern": "handler(("])
        #expect(observation.isError)
        #expect(observation.text.lowercased().contains("regex") || observation.text.contains("regular expression"))
        #expect(observation.text.contains("fixed=true"))
    }

    @Test("results are capped with the total count")
    func capped() async throws {
        let many = (1...250).map { "match \($0)" }.joined(separator: "\n") + "\n"
        let workspace = try await Workspace(["many.txt": many], git: true)
        defer { workspace.directory.remove() }
        for ripgrep in [true, false] {
            let observation = await search(workspace, ripgrep: ripgrep, ["pattern": "match"])
            #expect(observation.text.contains("100 of 250 matches shown"))
            #expect(observation.text.split(separator: "\n").count == 101)
        }
    }

    @Test("a path outside the worktree is refused")
    func escape() async throws {
        let workspace = try await workspace(ripgrep: true)
        defer { workspace.directory.remove() }
        let observation = await search(workspace, ripgrep: true, ["pattern": "root", "path": "/etc"])
        #expect(observation.isError)
    }
}

/// A test suite that reports a fixed result, for checking how run_tests presents it.
struct FixedSuite: TestSuite {
    var report: TestRunReport
    func run(tests: [String], in worktree: String) async throws -> TestRunReport { report }
}

@Suite("run_tests")
struct RunTestsToolTests {
    @Test("reports counts, failing ids and the output")
    func reportsFailures() async throws {
        let suite = FixedSuite(
            report: TestRunReport(
                passed: ["t::a"], failed: ["t::b", "t::c"], exitCode: 1, timedOut: false, duration: 1.25, output: "FAILED t::b\nFAILED t::c\n"))
        let workspace = try await Workspace([:], testSuite: suite)
        defer { workspace.directory.remove() }
        let observation = await workspace.call("run_tests", [:])
        #expect(observation.text.hasPrefix("Tests: 1 passed, 2 failed (exit 1, 1.2 s)"))
        #expect(observation.text.contains("Failing: t::b, t::c"))
        #expect(observation.text.contains("FAILED t::b\nFAILED t::c"))
        #expect(observation.facts["all_passed"] == false)
    }

    @Test("a time-out is said plainly")
    func timeout() async throws {
        let suite = FixedSuite(report: TestRunReport(passed: [], failed: [], exitCode: nil, timedOut: true, duration: 10, output: ""))
        let workspace = try await Workspace([:], testSuite: suite)
        defer { workspace.directory.remove() }
        let observation = await workspace.call("run_tests", [:])
        #expect(observation.text.contains("timed out"))
        #expect(observation.text.contains("hangs or is too slow"))
    }

    @Test("without a test command it is an error, and a bad tests argument is a format error")
    func errors() async throws {
        let workspace = try await Workspace([:])
        defer { workspace.directory.remove() }
        #expect(await workspace.call("run_tests", [:]).isError)
        let withSuite = try await Workspace([:], testSuite: FixedSuite(report: TestRunReport(passed: [], failed: [], exitCode: 0, timedOut: false, duration: 0, output: "")))
        defer { withSuite.directory.remove() }
        let bad = await withSuite.call("run_tests", ["tests": 5])
        #expect(bad.isError && bad.facts["format_error"] == true)
    }
}

import Foundation
import PatchloopSolve
import PatchloopTesting
import Testing

@Suite("solve inputs")
struct SolveInputTests {
    @Test("a plain issue's title is its first line without the # marks")
    func plainIssue() throws {
        let issue = try IssueDocument.parse(Data("## Crash on empty input\n\nSteps: run it.\n".utf8), source: "issue.md")
        #expect(issue.title == "Crash on empty input")
        #expect(issue.text == "## Crash on empty input\n\nSteps: run it.")
    }

    @Test("gh issue view --json title,body,comments: title, body and comments with their authors")
    func gitHubIssue() throws {
        let json = """
            {"title": "Parser drops the last field", "body": "CSV `a,b,` gives two fields.",
             "comments": [{"author": {"login": "maria"}, "body": "Also with tabs.", "createdAt": "2026-01-01T00:00:00Z"},
                          {"author": {"login": "li"}, "body": "  "}]}
            """
        let issue = try IssueDocument.parse(Data(json.utf8), source: "-")
        #expect(issue.title == "Parser drops the last field")
        #expect(issue.text == "# Parser drops the last field\n\nCSV `a,b,` gives two fields.\n\n## Comments\n\n@maria wrote:\nAlso with tabs.")
    }

    @Test("bad issues are usage errors: empty, broken JSON, JSON without title or body, not UTF-8")
    func badIssues() {
        for (data, message) in [
            (Data(" \n".utf8), "is empty"), (Data("{\"title\": ".utf8), "does not parse"),
            (Data("{\"number\": 3}".utf8), "neither a \"title\" nor a \"body\""), (Data([0xff, 0xfe, 0x41]), "not UTF-8"),
            (Data("{\"title\": \"x\", \"comments\": 3}".utf8), "must be a list"),
        ] {
            let error = #expect(throws: SolveError.self) { try IssueDocument.parse(data, source: "issue") }
            #expect(error?.exitCode == 2)
            #expect(error?.description.contains(message) == true, "\(message)")
        }
    }

    @Test("test commands are detected in the documented order, with the reason and the others found")
    func detection() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func detect(_ files: [String: String]) throws -> DetectedTestCommand? {
            let root = directory.path + "/" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            for (path, content) in files {
                try FileManager.default.createDirectory(atPath: (root + "/" + path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
            }
            return TestCommandDetector.detect(root: root, environment: ["HOME": "/nonexistent"])
        }
        #expect(try detect(["Package.swift": ""])?.command == "swift test")
        #expect(try detect(["pyproject.toml": ""])?.command == "python3 -m pytest -rA")
        #expect(try detect(["setup.cfg": ""])?.parserName == "pytest")
        #expect(try detect(["tests/test_a.py": ""])?.reason == "a tests/ folder of Python files")
        #expect(try detect(["Cargo.toml": ""])?.command == "cargo test")
        #expect(try detect(["go.mod": ""])?.command == "go test -v ./...")
        #expect(try detect(["package.json": #"{"scripts": {"test": "node --test"}}"#])?.command == "npm test")
        #expect(try detect(["package.json": #"{"scripts": {"test": "echo \"Error: no test specified\" && exit 1"}}"#]) == nil)
        #expect(try detect(["Makefile": "all:\n\tcc x.c\n\ntest: all\n\t./x\n"])?.command == "make test")
        #expect(try detect(["Makefile": "test := 1\nall:\n\ttrue\n"]) == nil)
        // A C project's tests/ folder is not pytest's.
        #expect(try detect(["tests/check.c": "", "Makefile": "check test:\n\t./t\n"])?.kind == "make")
        #expect(try detect(["README.md": ""]) == nil)

        let both = try #require(try detect(["Package.swift": "", "Makefile": "test:\n\ttrue\n"]))
        #expect(both.kind == "swift")
        #expect(both.reason.contains("also found: Makefile with a test target → make test"))
    }

    @Test("--test-cmd picks the parser from the command, or the one named")
    func customCommand() {
        #expect(TestCommandDetector.custom("pytest -x tests/unit", parser: nil).parserName == "pytest")
        #expect(TestCommandDetector.custom("go test -v ./pkg/...", parser: nil).parserName == "gotest")
        #expect(TestCommandDetector.custom("./run-tests.sh", parser: nil).parserName == "tap")
        #expect(TestCommandDetector.custom("./run-tests.sh", parser: "exit-status").parserName == nil)
    }
}

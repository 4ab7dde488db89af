import Foundation
import PatchloopCore
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// Tasks whose gold patches fail in chosen ways, so that one `eval --model scripted:gold`
/// run (which replays each task's gold patch as `edit` calls) ends in many categories.
enum ReportFixtures {
    /// Markup and script a model or a repository might carry: if any of it ran or rendered
    /// as markup, `<html>` would get a `data-injected` attribute or the page an element
    /// `#injected-markup`.
    static let injection = #"</script><script>document.documentElement.dataset.injected = "script"</script><b id="injected-markup">bold</b><img src="x" onerror="document.documentElement.dataset.injected = 'onerror'">"#

    /// The real interpreter behind `python3` (a version manager's shim costs 0.4 s a start).
    static let python: String = {
        let outcome = try? ProcessRunner().runSynchronously(
            ProcessSpec(executable: "python3", arguments: ["-c", "import sys; print(sys.executable)"], timeout: 30))
        let path = outcome?.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return path.isEmpty ? "python3" : path
    }()

    /// Runs every `test_*.py` in the folder and prints pytest's `-rA` lines.
    static let runner = #"""
        import glob, importlib.util, sys
        sys.path.insert(0, ".")
        failures = 0
        for path in sorted(glob.glob("test_*.py")):
            try:
                spec = importlib.util.spec_from_file_location(path[:-3], path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            except BaseException as error:
                print(f"ERROR {path} - {type(error).__name__}: {error}")
                failures += 1
                continue
            for name in sorted(n for n in vars(module) if n.startswith("test_")):
                try:
                    getattr(module, name)()
                    print(f"PASSED {path}::{name}")
                except BaseException as error:
                    failures += 1
                    print(f"FAILED {path}::{name} - {type(error).__name__}: {error}")
        sys.exit(1 if failures else 0)

        """#

    static let solution = """
        def add(x):
            \"\"\"Return x + 1.\"\"\"
            raise NotImplementedError


        def sub(x):
            \"\"\"Return x - 1.\"\"\"
            return x - 1

        """

    static func fixed(add body: String, sub: String = "return x - 1") -> String {
        solution.replacingOccurrences(of: "raise NotImplementedError", with: body).replacingOccurrences(of: "    return x - 1", with: "    " + sub)
    }

    /// Six tasks in `directory/tasks`; with `--max-steps 4` their gold replays end as
    /// `resolved`, `test_failure`, `syntax_error`, `regression`, `budget_exhausted:steps`
    /// and `empty_patch`.
    static func writeTasks(in directory: TemporaryDirectory) throws -> String {
        let root = directory.path + "/tasks"
        let extra = "VALUE = 1\n"
        let tasks: [(id: String, statement: String, gold: String)] = [
            ("report__resolved-1", "add() is not written yet. " + injection,
                modification("solution.py", solution, fixed(add: "# " + injection + "\n    return x + 1"))),
            ("report__wrong-1", "add() is not written yet.", modification("solution.py", solution, fixed(add: "return x + 2"))),
            ("report__syntax-1", "add() is not written yet.", modification("solution.py", solution, fixed(add: "return x +"))),
            ("report__regression-1", "add() is not written yet.",
                modification("solution.py", solution, fixed(add: "return x + 1", sub: "return x + 1"))),
            ("report__budget-1", "add() is not written yet, and the VALUEs are wrong.",
                // The fix comes last: the step budget runs out before it is made.
                modification("extra_a.py", extra, "VALUE = 2\n") + modification("extra_b.py", extra, "VALUE = 2\n")
                    + modification("solution.py", solution, fixed(add: "return x + 1"))),
            // A patch made against another version of the file: its edit finds nothing to replace.
            ("report__stale-1", "add() is not written yet.",
                modification("solution.py", solution.replacingOccurrences(of: "raise NotImplementedError", with: "pass"), fixed(add: "return x + 1"))),
        ]
        let hidden = "from solution import add, sub\n\n\ndef test_add():\n    assert add(1) == 2\n\n\ndef test_sub():\n    assert sub(1) == 0\n"
        let visible = "from solution import add, sub\n\n\ndef test_add_visible():\n    assert add(2) == 3\n\n\ndef test_sub_visible():\n    assert sub(2) == 1\n"
        for task in tasks {
            let folder = FolderWriter(path: root + "/" + task.id)
            let document: JSONValue = [
                "instance_id": .string(task.id), "repo": "patchloop/report-fixture", "problem_statement": .string(task.statement),
                "hints_text": "", "created_at": "2026-12-01T00:00:00Z", "version": "1.0",
                "FAIL_TO_PASS": ["test_solution.py::test_add"], "PASS_TO_PASS": ["test_solution.py::test_sub"],
                "test_cmd": .string("\(python) run_tests.py"), "log_parser": "pytest", "language": "python", "timeout": 600,
            ]
            try folder.write([
                "task.json": document.prettyEncoded() + "\n", "gold.patch": task.gold,
                "test.patch": addition("test_solution.py", hidden),
                "repo/solution.py": solution, "repo/run_tests.py": runner, "repo/test_visible.py": visible,
                "repo/extra_a.py": extra, "repo/extra_b.py": extra,
            ])
        }
        return root
    }

    /// A diff that replaces the whole of `path`.
    static func modification(_ path: String, _ old: String, _ new: String) -> String {
        let before = old.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let after = new.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return "diff --git a/\(path) b/\(path)\n--- a/\(path)\n+++ b/\(path)\n@@ -1,\(before.count) +1,\(after.count) @@\n"
            + before.map { "-" + $0 + "\n" }.joined() + after.map { "+" + $0 + "\n" }.joined()
    }

    static func addition(_ path: String, _ content: String) -> String {
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return "diff --git a/\(path) b/\(path)\nnew file mode 100644\n--- /dev/null\n+++ b/\(path)\n@@ -0,0 +1,\(lines.count) @@\n"
            + lines.map { "+" + $0 + "\n" }.joined()
    }

    /// A script for `--model scripted:PATH` that writes `injection` into its reply, a
    /// search and the search's observation, then submits nothing.
    static func writeHostileScript(in directory: TemporaryDirectory) throws -> String {
        let script: JSONValue = [
            ["content": .string("Looking around. " + injection), "tool_calls": [["name": "search", "arguments": ["pattern": .string(injection), "fixed": true]]]],
            ["content": "", "tool_calls": [["name": "read_file", "arguments": ["path": "solution.py"]]]],
        ]
        let path = directory.path + "/hostile.json"
        try script.prettyEncoded().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs the `patchloop` executable; its exit code and its output (standard error merged in).
    static func run(_ arguments: [String]) async throws -> (exitCode: Int32?, text: String) {
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        let outcome = try await ProcessRunner().run(
            ProcessSpec(executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment, timeout: 300,
                mergeStandardError: true))
        return (outcome.exitCode, outcome.standardOutput.text)
    }

    /// Runs the `patchloop` executable; fails the test with its output when it exits non-zero.
    @discardableResult
    static func patchloop(_ arguments: [String]) async throws -> String {
        let (exitCode, text) = try await run(arguments)
        try #require(exitCode == 0, "patchloop \(arguments.joined(separator: " ")) failed:\n\(text)")
        return text
    }

    /// The results files of a run, as the run directory holds them: instance id and entry.
    static func results(_ run: String) throws -> [(id: String, entry: JSONValue)] {
        let folder = run + "/results"
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            try JSONValue.parse(String(contentsOfFile: folder + "/" + name, encoding: .utf8)).objectValue?.first.map { (id: $0.key, entry: $0.value) }
        }
    }
}

/// Writes files under a path that is not a `TemporaryDirectory` of its own.
struct FolderWriter {
    var path: String

    func write(_ files: [String: String]) throws {
        for (relativePath, content) in files {
            let full = path + "/" + relativePath
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: full, atomically: false, encoding: .utf8)
        }
    }
}

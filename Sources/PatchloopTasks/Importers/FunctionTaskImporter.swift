import Foundation
import PatchloopCore
import PatchloopWorkspace

/// Imports function-level benchmarks, HumanEval and MBPP: each problem becomes a small
/// repository (`solution.py` holding the stub, and `run_tests.py`), the hidden test as
/// `test.patch` (it adds `test_solution.py`) and the canonical solution as `gold.patch`.
///
/// Tests run with `python3 run_tests.py test_solution.py` — no pytest, whose start-up
/// alone costs ten times a bare interpreter — and print pytest's `-rA` summary lines
/// (`PASSED test_solution.py::test_check`), read by the `pytest` parser.
public enum FunctionTaskImporter {
    /// The test command of a function-level task that runs tests with `python`.
    ///
    /// Give an absolute interpreter path where `python3` is a version manager's shim
    /// (pyenv's costs about 0.4 s a start, five times the interpreter itself).
    public static func testCommand(python: String = "python3") -> String {
        "\(shellQuote(python)) run_tests.py test_solution.py"
    }
    /// Seconds one test run may take (a wrong solution may loop forever).
    public static let timeout: Double = 20

    /// The test runner each repository carries: imports each test file named, calls every
    /// `test_*` function (or only those named as `file::name`), prints one line per test.
    public static let runnerScript = #"""
        """Runs test functions and prints pytest -rA style result lines (written by Patchloop)."""
        import importlib.util
        import os
        import sys


        def load(path):
            name = os.path.splitext(os.path.basename(path))[0]
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module


        def main(arguments):
            sys.path.insert(0, os.getcwd())
            selected = {}
            for argument in arguments or ["test_solution.py"]:
                path, _, name = argument.partition("::")
                selected.setdefault(path, set())
                if name:
                    selected[path].add(name)
            failures = 0
            for path, names in selected.items():
                if not os.path.exists(path):
                    print(f"ERROR {path} - file not found")
                    failures += 1
                    continue
                try:
                    module = load(path)
                except BaseException as error:
                    print(f"ERROR {path} - {type(error).__name__}: {error}")
                    failures += 1
                    continue
                tests = [key for key, value in list(vars(module).items()) if key.startswith("test_") and callable(value)]
                for name in tests:
                    if names and name not in names:
                        continue
                    try:
                        getattr(module, name)()
                        print(f"PASSED {path}::{name}", flush=True)
                    except BaseException as error:
                        failures += 1
                        message = str(error).splitlines()[0] if str(error) else ""
                        print(f"FAILED {path}::{name} - {type(error).__name__}: {message}", flush=True)
            return 1 if failures else 0


        if __name__ == "__main__":
            sys.exit(main(sys.argv[1:]))

        """#

    // MARK: - HumanEval

    /// Reads `HumanEval.jsonl` (or `.jsonl.gz`) and makes one task per problem.
    public static func humanEval(from path: String, python: String = "python3") async throws -> [ImportedTask] {
        let rows = try await readJSONLines(path)
        var tasks: [ImportedTask] = []
        for (index, (where_, row)) in rows.enumerated() {
            // A long import yields now and then instead of holding a cooperative thread.
            if index % 32 == 31 { await Task.yield() }
            tasks.append(try humanEvalTask(row, where_: "\(path) \(where_)", python: python))
        }
        return tasks
    }

    static func humanEvalTask(_ row: JSONValue, where_: String, python: String = "python3") throws -> ImportedTask {
        func field(_ key: String) throws -> String {
            guard let value = row[key]?.stringValue else { throw TaskImportError("\(where_): \(key) is missing (a HumanEval problem has task_id, prompt, entry_point, canonical_solution, test)") }
            return value
        }
        let taskID = try field("task_id")
        let prompt = ensureNewline(try field("prompt"))
        let entryPoint = try field("entry_point")
        let solution = ensureNewline(try field("canonical_solution"))
        let test = ensureNewline(try field("test"))
        let number = taskID.split(separator: "/").last.map(String.init) ?? taskID
        let instanceID = "openai__humaneval-" + number.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()

        let indentation = LogText.lines(solution).first { !LogText.strip($0).isEmpty }.map { String($0.prefix { $0 == " " || $0 == "\t" }) } ?? "    "
        let stub = prompt + indentation + "raise NotImplementedError\n"
        let testFile = "from solution import *  # noqa: F401,F403\nimport solution as _solution\n\n" + test
            + "\n\ndef test_check():\n    check(_solution.\(entryPoint))\n"
        let document: [String: JSONValue] = [
            "instance_id": .string(instanceID), "task_id": .string(taskID), "repo": "openai/human-eval", "version": "1.0",
            "problem_statement": .string(
                "Complete the function `\(entryPoint)` in solution.py so that it does what its docstring says.\n\n```python\n\(prompt)```\n"),
            "hints_text": "", "created_at": "2021-07-07T00:00:00Z",
            "FAIL_TO_PASS": ["test_solution.py::test_check"], "PASS_TO_PASS": [],
            "test_cmd": .string(testCommand(python: python)), "log_parser": "pytest", "language": "python", "timeout": .number(timeout),
            "entry_point": .string(entryPoint),
        ]
        return ImportedTask(
            instanceID: instanceID, document: document, repositoryFiles: ["solution.py": stub, "run_tests.py": runnerScript],
            goldPatch: PatchWriter.modification(path: "solution.py", old: stub, new: prompt + solution),
            testPatch: PatchWriter.addition(path: "test_solution.py", content: testFile))
    }

    // MARK: - MBPP

    /// Reads MBPP (`mbpp.jsonl`, or the sanitized `sanitized-mbpp.json` list) and makes one task per problem.
    public static func mbpp(from path: String, python: String = "python3") async throws -> [ImportedTask] {
        let rows: [(String, JSONValue)]
        if path.hasSuffix(".json") {
            rows = try SWEbenchImporter.readRows(path)
        } else {
            rows = try await readJSONLines(path)
        }
        var tasks: [ImportedTask] = []
        for (index, (where_, row)) in rows.enumerated() {
            if index % 32 == 31 { await Task.yield() }
            tasks.append(try mbppTask(row, where_: "\(path) \(where_)", python: python))
        }
        return tasks
    }

    static func mbppTask(_ row: JSONValue, where_: String, python: String = "python3") throws -> ImportedTask {
        guard let taskNumber = row["task_id"]?.intValue, let rawCode = row["code"]?.stringValue,
            let text = row["text"]?.stringValue ?? row["prompt"]?.stringValue,
            let tests = row["test_list"]?.arrayValue?.compactMap(\.stringValue), !tests.isEmpty
        else {
            throw TaskImportError("\(where_): an MBPP problem needs task_id, text (or prompt), code and a non-empty test_list")
        }
        let code = ensureNewline(rawCode.replacingOccurrences(of: "\r\n", with: "\n"))
        let setup = [row["test_setup_code"]?.stringValue ?? ""] + (row["test_imports"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let instanceID = "google__mbpp-\(taskNumber)"

        // The function the tests call: the first one `code` defines whose name the tests use.
        let definitions = LogText.lines(code).filter { $0.hasPrefix("def ") }
        let names = definitions.compactMap { line in line.dropFirst(4).split(separator: "(").first.map { LogText.strip($0) } }
        let joinedTests = tests.joined(separator: "\n")
        guard let target = names.first(where: { joinedTests.contains($0 + "(") }) ?? names.first,
            let signature = definitions.first(where: { $0.dropFirst(4).hasPrefix(target) })
        else {
            throw TaskImportError("\(where_): code defines no top-level function for the tests to call")
        }
        let docstring = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"\"\"", with: "\\\"\\\"\\\"")
        let stub = "\(LogText.strip(signature).hasSuffix(":") ? LogText.strip(signature) : LogText.strip(signature) + ":")\n    \"\"\"\(docstring)\"\"\"\n    raise NotImplementedError\n"
        var testFile = "import math  # noqa: F401\nfrom solution import *  # noqa: F401,F403\n"
        for line in setup where !LogText.strip(line).isEmpty { testFile += line.replacingOccurrences(of: "\r\n", with: "\n") + "\n" }
        var testIDs: [JSONValue] = []
        for (index, assertion) in tests.enumerated() {
            testFile += "\n\ndef test_\(index)():\n    \(LogText.strip(assertion))\n"
            testIDs.append(.string("test_solution.py::test_\(index)"))
        }
        let statement = "\(text)\n\nWrite it as `\(target)` in solution.py. Your code should pass these tests:\n\n```python\n\(tests.joined(separator: "\n"))\n```\n"
        let document: [String: JSONValue] = [
            "instance_id": .string(instanceID), "task_id": .number(Double(taskNumber)), "repo": "google-research/mbpp", "version": "1.0",
            "problem_statement": .string(statement), "hints_text": "", "created_at": "2021-08-16T00:00:00Z",
            "FAIL_TO_PASS": .array(testIDs), "PASS_TO_PASS": [],
            "test_cmd": .string(testCommand(python: python)), "log_parser": "pytest", "language": "python", "timeout": .number(timeout),
            "entry_point": .string(target),
        ]
        return ImportedTask(
            instanceID: instanceID, document: document, repositoryFiles: ["solution.py": stub, "run_tests.py": runnerScript],
            goldPatch: PatchWriter.modification(path: "solution.py", old: stub, new: code),
            testPatch: PatchWriter.addition(path: "test_solution.py", content: testFile))
    }

    // MARK: - Reading

    /// The objects of a JSON Lines file, gzip-compressed when its name ends in `.gz`.
    static func readJSONLines(_ path: String) async throws -> [(String, JSONValue)] {
        guard FileManager.default.fileExists(atPath: path) else { throw TaskImportError("\(path) does not exist") }
        let text: String
        if path.hasSuffix(".gz") {
            let outcome = try await ProcessRunner().run(
                ProcessSpec(executable: "gzip", arguments: ["-dc", path], timeout: 120, outputLimit: .large))
            guard outcome.succeeded else {
                throw TaskImportError("\(path) cannot be decompressed: \(outcome.standardError.text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            text = outcome.standardOutput.text
        } else {
            guard let data = FileManager.default.contents(atPath: path), let decoded = String(data: data, encoding: .utf8) else {
                throw TaskImportError("\(path) cannot be read as UTF-8 text")
            }
            text = decoded
        }
        var rows: [(String, JSONValue)] = []
        for (number, line) in LogText.lines(text).enumerated() where !LogText.strip(line).isEmpty {
            if number % 64 == 63 { await Task.yield() }
            do {
                rows.append(("line \(number + 1)", try JSONValue.parse(String(line))))
            } catch {
                throw TaskImportError("\(path) line \(number + 1) is not valid JSON (\(error))")
            }
        }
        if rows.isEmpty { throw TaskImportError("\(path) holds no problems") }
        return rows
    }

    static func ensureNewline(_ text: String) -> String {
        text.hasSuffix("\n") ? text : text + "\n"
    }
}

import Foundation
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("numbers and types in task files and flags are checked on load")
struct TaskFieldValidationTests {
    static let valid = #""instance_id": "x", "problem_statement": "p", "FAIL_TO_PASS": ["a"], "log_parser": "pytest""#

    func writeTask(_ json: String, in directory: TemporaryDirectory, name: String = "t") throws -> String {
        try directory.write(["\(name)/task.json": json, "\(name)/repo/a.py": "x = 1\n"])
        return directory.path + "/" + name
    }

    @Test(
        "a bad timeout, test_cmd or patch field is a load error naming the file and the field",
        arguments: [
            (#"{\#(valid), "test_cmd": "pytest", "timeout": 2505600}"#, "timeout must be seconds above 0 and at most 86400"),
            (#"{\#(valid), "test_cmd": "pytest", "timeout": "soon"}"#, #"timeout must be a number of seconds (e.g. 300), not "soon""#),
            (#"{\#(valid), "test_cmd": "pytest", "timeout": 0}"#, "timeout must be seconds above 0"),
            (#"{\#(valid), "test_cmd": ""}"#, "test_cmd is empty"),
            (#"{\#(valid), "test_cmd": "  \n"}"#, "test_cmd is empty"),
            (#"{\#(valid), "test_cmd": 7}"#, "test_cmd must be a string"),
            (#"{\#(valid), "test_cmd": "pytest", "patch": 3}"#, "patch must be a string"),
            (#"{\#(valid), "test_cmd": "pytest", "base_commit": 1, "repo_path": "r"}"#, "base_commit must be a string"),
            (#"{\#(valid), "test_cmd": "pytest", "version": ["1"]}"#, "version must be a string or a number"),
            (#"{\#(valid), "test_cmd": "pytest", "language": 3}"#, "language must be a string"),
        ])
    func badFields(json: String, message: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try writeTask(json, in: directory)
        let error = #expect(throws: TaskLoadError.self) { try TaskStore.loadTask(path) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("task.json in \(path)") == true, "\(error?.description ?? "")")
    }

    @Test("a day-long timeout is still accepted")
    func dayLongTimeout() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try writeTask(#"{\#(Self.valid), "test_cmd": "pytest", "timeout": 86400}"#, in: directory)
        #expect(try TaskStore.loadTask(path).testTimeout == 86_400)
    }

    @Test("two folders with one instance_id fail the load, naming both folders")
    func duplicateInstanceIDs() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try writeTask(#"{\#(Self.valid), "test_cmd": "pytest"}"#, in: directory, name: "one")
        let second = try writeTask(#"{\#(Self.valid), "test_cmd": "pytest"}"#, in: directory, name: "two")
        let error = #expect(throws: TaskLoadError.self) { try TaskStore.load(directory.path) }
        let text = error?.description ?? ""
        #expect(text.contains("instance_id 'x'") && text.contains(first) && text.contains(second), "\(text)")
    }

    @Test("the CLI exits 2 naming the file and field for a 29-day timeout instead of crashing")
    func commandLineRefusesLongTimeout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try writeTask(#"{\#(Self.valid), "test_cmd": "pytest", "timeout": 2505600}"#, in: directory)
        for arguments in [["tasks", "list", path], ["tasks", "validate", path, "--no-sandbox"], ["run", path, "--model", "scripted:empty", "--no-sandbox"]] {
            let outcome = try await runPatchloop(arguments, in: directory.path)
            #expect(outcome.exitCode == 2, "\(arguments): \(outcome.standardOutput.text)")
            #expect(outcome.standardOutput.text.contains("task.json in \(path): timeout must be"), "\(outcome.standardOutput.text)")
        }
    }

    @Test(
        "out-of-range numeric flags exit 2 naming the flag",
        arguments: [
            (["eval", "--idle-timeout", "1e12"], "--idle-timeout"),
            (["eval", "--idle-timeout", "nan"], "--idle-timeout"),
            (["run", "Tasks/x", "--max-seconds", "1e300"], "--max-seconds"),
            (["eval", "--workers", "100000"], "--workers 100000 is out of range"),
            (["eval", "--attempts", "0"], "--attempts must be at least 1"),
            (["eval", "--max-total-cost", "-3"], "--max-total-cost"),
            (["run", "Tasks/x", "--max-retries", "-1"], "--max-retries"),
            (["run", "Tasks/x", "--context-window", "0"], "--context-window 0 is out of range"),
            (["solve", "--repo", ".", "--issue", "x", "--test-timeout", "1e10"], "--test-timeout"),
            (["tasks", "import", "swebench", "f.jsonl", "--repos", "r", "--timeout", "0"], "--timeout"),
            (["flywheel", "--temperature", "9"], "--temperature"),
        ])
    func badNumericFlags(arguments: [String], message: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await runPatchloop(arguments, in: directory.path)
        #expect(outcome.exitCode == 2, "\(arguments): \(outcome.standardOutput.text)")
        #expect(outcome.standardOutput.text.contains(message), "\(arguments): \(outcome.standardOutput.text)")
    }
}

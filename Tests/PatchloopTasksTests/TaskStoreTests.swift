import Foundation
import PatchloopTasks
import PatchloopTesting
import Testing

@Suite("Task store")
struct TaskStoreTests {
    func writeTask(_ json: String, in directory: TemporaryDirectory, name: String = "t") throws -> String {
        try directory.write(["\(name)/task.json": json, "\(name)/repo/a.py": "x = 1\n"])
        return directory.path + "/" + name
    }

    @Test("the bundled tasks all load, with at least 12 across Python, Swift and C")
    func bundledTasksLoad() throws {
        let tasks = try TaskStore.load(PackageLocation.tasks)
        #expect(tasks.count >= 12)
        let languages = Dictionary(grouping: tasks, by: \.language).mapValues(\.count)
        #expect((languages["python"] ?? 0) >= 8)
        #expect((languages["swift"] ?? 0) >= 2)
        #expect((languages["c"] ?? 0) >= 1)
        for task in tasks {
            #expect(!task.goldPatch.isEmpty, "\(task.instanceID) has no gold.patch")
            #expect(!task.testPatch.isEmpty, "\(task.instanceID) has no test.patch")
            #expect(!task.failToPass.isEmpty)
        }
    }

    @Test("FAIL_TO_PASS as a JSON-encoded string (SWE-bench's form) is read as a list")
    func jsonStringLists() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try writeTask(
            #"{"instance_id": "x", "problem_statement": "p", "FAIL_TO_PASS": "[\"t::a\", \"t::b\"]", "PASS_TO_PASS": "[]", "test_cmd": "pytest", "log_parser": "pytest"}"#,
            in: directory)
        let task = try TaskStore.loadTask(path)
        #expect(task.failToPass == ["t::a", "t::b"])
        #expect(task.passToPass == [])
        #expect(task.testTimeout == 300)
    }

    @Test("bad task files give errors that name the file and what to fix", arguments: [
        (#"{"instance_id": "x", "#, "line 1, column"),
        (#"{"instance_id": "x", "problem_statement": "p", "FAIL_TO_PASS": [], "test_cmd": "t", "log_parser": "pytest"}"#, "FAIL_TO_PASS is empty"),
        (#"{"instance_id": "x", "problem_statement": "p", "FAIL_TO_PASS": ["a"], "test_cmd": "t", "log_parser": "nose"}"#, "log_parser 'nose' is unknown"),
        (#"{"problem_statement": "p", "FAIL_TO_PASS": ["a"], "test_cmd": "t", "log_parser": "pytest"}"#, "instance_id is missing"),
        (#"{"instance_id": "x", "problem_statement": "p", "FAIL_TO_PASS": "not json", "test_cmd": "t", "log_parser": "pytest"}"#, "not a JSON list"),
        (#"{"instance_id": "x", "problem_statement": "p", "FAIL_TO_PASS": ["a"], "test_cmd": "t", "log_parser": "pytest", "timeout": -1}"#, "timeout must be"),
    ])
    func badTaskFiles(json: String, message: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try writeTask(json, in: directory)
        do {
            _ = try TaskStore.loadTask(path)
            Issue.record("expected an error mentioning \(message)")
        } catch let error as TaskLoadError {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(error.description.contains(path))
        }
    }

    @Test("a folder with no tasks, and a missing folder, are clear errors")
    func noTasks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: TaskLoadError.self) { try TaskStore.load(directory.path) }
        #expect(throws: TaskLoadError.self) { try TaskStore.load(directory.path + "/missing") }
    }
}

import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// The attacks of issue 10, each run as an attacker would (a scripted model, hostile test
/// code, a hostile predictions file, a hostile task file) through the real command, and
/// each shown contained.
@Suite("Containment: untrusted output stays in the sandbox", .serialized)
struct ContainmentTests {
    /// Test code that turns the worktree's `.git` into a repository of its own whose
    /// fsmonitor runs a hook: any git command that trusts the worktree runs it on the host.
    static func plantScript(marker: String) -> String {
        """
        mkdir -p evil/objects evil/refs
        echo 'ref: refs/heads/main' > evil/HEAD
        printf '[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n\\tfsmonitor = "sh evil/hook.sh"\\n' > evil/config
        printf '#!/bin/sh\\ntouch \(marker)\\n' > evil/hook.sh
        rm -f .git && echo 'gitdir: evil' > .git

        """
    }

    /// A small Python task (`add` subtracts) whose test command first runs `prefix`.
    static func task(in directory: TemporaryDirectory, id: String = "fixture__calc-1", prefix: String = "", extraFiles: [String: String] = [:])
        throws -> String
    {
        try task(at: directory.path + "/tasks/task-one", id: id, prefix: prefix, extraFiles: extraFiles)
    }

    static func task(at taskDirectory: String, id: String = "fixture__calc-1", prefix: String = "", extraFiles: [String: String] = [:]) throws -> String {
        var files: [String: String] = [
            "repo/calc.py": "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n",
            "repo/tests/test_calc.py": "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
            "repo/pytest.ini": "[pytest]\npythonpath = .\n",
            "gold.patch": """
                diff --git a/calc.py b/calc.py
                --- a/calc.py
                +++ b/calc.py
                @@ -1,2 +1,2 @@
                 def add(a, b):
                -    return a - b
                +    return a + b

                """,
            "test.patch": """
                diff --git a/tests/test_add.py b/tests/test_add.py
                new file mode 100644
                --- /dev/null
                +++ b/tests/test_add.py
                @@ -0,0 +1,5 @@
                +from calc import add
                +
                +
                +def test_add():
                +    assert add(2, 3) == 5 # HIDDEN-TEST-MARK

                """,
        ]
        let document: JSONValue = [
            "instance_id": .string(id), "repo": "fixture/calc", "problem_statement": "add(2, 3) returns -1 instead of 5.",
            "FAIL_TO_PASS": ["tests/test_add.py::test_add"], "PASS_TO_PASS": ["tests/test_calc.py::test_mul"],
            "test_cmd": .string(prefix + "python3 -m pytest -rA"), "log_parser": "pytest", "language": "python", "timeout": 600,
        ]
        files["task.json"] = document.encoded()
        for (path, text) in extraFiles { files[path] = text }
        for (path, text) in files {
            let full = taskDirectory + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return taskDirectory
    }

    static func script(_ turns: [JSONValue], in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/script-\(UUID().uuidString.prefix(6)).json"
        try JSONValue.array(turns).encoded().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func call(_ name: String, _ arguments: JSONValue = [:]) -> JSONValue {
        ["tool_calls": [["name": .string(name), "arguments": arguments]]]
    }

    static func patchloop(_ arguments: [String], environment extra: [String: String] = [:], timeout: Double = 300) async throws -> ProcessOutcome {
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        return try await ProcessRunner().run(
            ProcessSpec(executable: executable, arguments: arguments, environment: environment, timeout: timeout, outputLimit: .large))
    }

    /// Every file under `directory`, as text.
    static func everything(under directory: String) -> String {
        var text = ""
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let entry = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: directory + "/" + entry) {
                text += String(decoding: data, as: UTF8.self) + "\n"
            }
        }
        return text
    }

    @Test("a hook planted through .git by test code never runs; the model's edit of .git is refused; the fix is still graded")
    func hookPlantedByTestCode() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = directory.path + "/host/PWNED"
        try FileManager.default.createDirectory(atPath: directory.path + "/host", withIntermediateDirectories: true)
        let taskDirectory = try Self.task(in: directory, prefix: "sh plant.sh; ", extraFiles: ["repo/plant.sh": Self.plantScript(marker: marker)])
        let script = try Self.script(
            [
                Self.call("edit", ["path": "calc.py", "old_str": "return a - b", "new_str": "return a + b"]),
                Self.call("run_tests"),
                Self.call("edit", ["path": ".git", "old_str": "", "new_str": "gitdir: evil\n"]),
                Self.call("read_file", ["path": "evil/../.git"]),
                Self.call("submit"),
            ], in: directory)
        let output = directory.path + "/run"
        let outcome = try await Self.patchloop([
            "run", taskDirectory, "--model", "scripted:\(script)", "--no-stop-on-pass", "--output", output,
            "--sandboxes", directory.path + "/Sandboxes", "--json",
        ])
        #expect(!FileManager.default.fileExists(atPath: marker), "the planted hook ran on the host")
        #expect(outcome.exitCode == 0, "\(outcome.standardError.text)")
        let result = try AttemptRecord.read(Data(outcome.standardOutput.text.utf8))
        #expect(result.resolved)
        let trajectory = try String(contentsOfFile: output + "/trajectories/fixture__calc-1.jsonl", encoding: .utf8)
        #expect(trajectory.contains("is inside .git"))
        // The test code really did plant it: the evil folder is part of the patch.
        #expect((result.patch ?? "").contains("evil/hook.sh"))
    }

    @Test("validate --logs keeps each task's gold and empty runs as score does, and no task's tests can read them")
    func validateLogs() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Logs in a folder the sandbox shows (on PATH, outside /tmp, which it replaces): only the hiding keeps them out.
        let visible = URL(fileURLWithPath: PackageLocation.executable).deletingLastPathComponent().deletingLastPathComponent().path
            + "/validate-logs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: visible + "/bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: visible) }
        let path = visible + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let logs = visible + "/logs"
        let ids = ["fixture__calc-1", "fixture__calc-2"]
        // Whichever task runs second looks for the first one's logs.
        let peek = "import os\n\n\ndef test_logs_hidden():\n" + ids.map { "    assert not os.path.exists(\"\(logs)/\($0)\")\n" }.joined()
        for (index, id) in ids.enumerated() {
            _ = try Self.task(at: directory.path + "/tasks/task-\(index)", id: id, extraFiles: ["repo/tests/test_peek.py": peek])
        }
        let validate = try await Self.patchloop([
            "tasks", "validate", directory.path + "/tasks", "--workers", "1", "--sandboxes", directory.path + "/Sandboxes", "--logs", logs,
        ], environment: ["PATH": path])
        #expect(validate.exitCode == 0, "\(validate.standardError.text)")
        for id in ids {
            let gold = try String(contentsOfFile: "\(logs)/\(id)/gold/test_output.txt", encoding: .utf8)
            #expect(gold.contains("PASSED tests/test_add.py::test_add"), "\(gold)")
            #expect(gold.contains("PASSED tests/test_peek.py::test_logs_hidden"), "\(id): \(gold)")
            let empty = try String(contentsOfFile: "\(logs)/\(id)/empty/test_output.txt", encoding: .utf8)
            #expect(empty.contains("FAILED tests/test_add.py::test_add"), "\(empty)")
            let goldGrading = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(logs)/\(id)/gold/grading.json")))
            #expect(goldGrading["resolved"]?.boolValue == true)
            let emptyGrading = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(logs)/\(id)/empty/grading.json")))
            #expect(emptyGrading["resolved"]?.boolValue == false)
            #expect(FileManager.default.fileExists(atPath: "\(logs)/\(id)/gold/apply_output.txt"))
        }

        // A logs folder that cannot be made: exit 2, naming the option, before any task runs.
        try "".write(toFile: directory.path + "/a-file", atomically: true, encoding: .utf8)
        let bad = try await Self.patchloop(["tasks", "validate", directory.path + "/tasks", "--logs", directory.path + "/a-file/logs"])
        #expect(bad.exitCode == 2)
        #expect(bad.standardError.text.contains("--logs"), "\(bad.standardError.text)")
        #expect(!bad.standardError.text.contains("validating"))
    }

    @Test("a scored prediction that writes into .git is refused, graded as not applying, and its hook never runs")
    func hookPlantedByScoredPatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = directory.path + "/host/PWNED"
        try FileManager.default.createDirectory(atPath: directory.path + "/host", withIntermediateDirectories: true)
        _ = try Self.task(in: directory)
        let patch = """
            diff --git a/evil/config b/evil/config
            new file mode 100644
            --- /dev/null
            +++ b/evil/config
            @@ -0,0 +1,3 @@
            +[core]
            +\tbare = false
            +\tfsmonitor = "touch \(marker)"
            diff --git a/.git b/.git
            --- a/.git
            +++ b/.git
            @@ -1 +1 @@
            -gitdir: whatever
            +gitdir: evil

            """
        let predictions = directory.path + "/preds.jsonl"
        let row: JSONValue = ["instance_id": "fixture__calc-1", "model_name_or_path": "attacker", "model_patch": .string(patch)]
        try (row.encoded() + "\n").write(toFile: predictions, atomically: true, encoding: .utf8)
        let output = directory.path + "/scored"
        let outcome = try await Self.patchloop([
            "score", predictions, "--tasks", directory.path + "/tasks", "--output", output, "--sandboxes", directory.path + "/Sandboxes",
        ])
        #expect(outcome.exitCode == 0, "\(outcome.standardError.text)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the planted hook ran on the host")
        let report = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: output + "/results/fixture__calc-1.json")))
        let entry = report["fixture__calc-1"]
        #expect(entry?["patch_successfully_applied"]?.boolValue == false)
        #expect(entry?["resolved"]?.boolValue == false)
        #expect(entry?["patch_refused"]?.stringValue?.contains(".git") == true)
    }

    @Test("test code cannot read the task's gold.patch or test.patch, the run directory or the user's home")
    func hiddenAnswersStayHidden() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let home = NSHomeDirectory()
        let homeFile = home + "/.patchloop-containment-\(UUID().uuidString)"
        let homeSecret = "home-secret-\(UUID().uuidString)"
        try homeSecret.write(toFile: homeFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: homeFile) }
        // Outside /tmp (the sandbox's /tmp is private anyway): the task and the run live where
        // a view of the whole file system would show them, beside the package's build folder.
        let outside = PackageLocation.root + "/.build/containment-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let output = outside + "/run"
        let taskDirectory = outside + "/tasks/task-one"
        let snoop = "cat \(taskDirectory)/gold.patch \(taskDirectory)/test.patch \(taskDirectory)/task.json; ls \(output); cat \(homeFile); echo SNOOPED; "
        _ = try Self.task(at: taskDirectory, prefix: snoop)
        let script = try Self.script([Self.call("run_tests"), Self.call("submit")], in: directory)
        let outcome = try await Self.patchloop([
            "run", taskDirectory, "--model", "scripted:\(script)", "--output", output, "--sandboxes", directory.path + "/Sandboxes",
        ])
        #expect(outcome.exitCode == 1, "\(outcome.standardError.text)")
        let trajectory = try String(contentsOfFile: output + "/trajectories/fixture__calc-1.jsonl", encoding: .utf8)
        #expect(trajectory.contains("SNOOPED"), "the snooping command ran")
        #expect(trajectory.contains("No such file"))
        #expect(!trajectory.contains("return a + b"), "the reference fix leaked")
        #expect(!trajectory.contains("HIDDEN-TEST-MARK"), "the hidden test leaked")
        #expect(!trajectory.contains(homeSecret), "the user's home leaked")
    }

    @Test("a folder the tests may not see is covered even inside a visible toolchain folder")
    func hiddenInsideVisibleFolder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(["toolchain/bin/tool": "#!/bin/sh\necho tool\n", "toolchain/tasks/t/gold.patch": "ANSWER\n", "work/a.txt": "a\n"])
        var view = SandboxView.current(environment: ProcessEnvironment.allowListed())
        view.readOnly.append(directory.path + "/toolchain")
        let arguments = view.arguments(worktree: directory.path + "/work", hiding: [directory.path + "/toolchain/tasks"])
        let outcome = try await ProcessRunner().run(
            ProcessSpec(
                executable: "bwrap",
                arguments: arguments + ["--", "/bin/sh", "-c", "sh \(directory.path)/toolchain/bin/tool; cat \(directory.path)/toolchain/tasks/t/gold.patch"],
                environment: ProcessEnvironment.allowListed(), timeout: 30, mergeStandardError: true))
        #expect(outcome.standardOutput.text.contains("tool"))
        #expect(!outcome.standardOutput.text.contains("ANSWER"))
    }

    @Test("PGPASSWORD, DATABASE_URL, AZURE_OPENAI_KEY reach neither the tests nor any file of the run, nor an export")
    func secretsByAllowList() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let token = UUID().uuidString.prefix(8)
        let secrets = [
            "PGPASSWORD": "pg-secret-\(token)", "DATABASE_URL": "postgres://user:db-secret-\(token)@db.internal/app",
            "AZURE_OPENAI_KEY": "az-secret-\(token)", "MY_SERVICE_CREDENTIALS": "cred-secret-\(token)",
        ]
        let taskDirectory = try Self.task(in: directory, prefix: "env; ")
        let script = try Self.script([Self.call("run_tests"), Self.call("submit")], in: directory)
        let output = directory.path + "/run"
        let run = try await Self.patchloop(
            ["run", taskDirectory, "--model", "scripted:\(script)", "--output", output, "--sandboxes", directory.path + "/Sandboxes", "--json"],
            environment: secrets)
        #expect(run.exitCode == 1, "\(run.standardError.text)")
        let trajectory = try String(contentsOfFile: output + "/trajectories/fixture__calc-1.jsonl", encoding: .utf8)
        #expect(trajectory.contains("PATH="), "the test command printed its environment")
        let exported = directory.path + "/sft.jsonl"
        let export = try await Self.patchloop(["export", output, "--format", "openai", "--out", exported, "--inline-metadata"], environment: secrets)
        #expect(export.exitCode == 0, "\(export.standardError.text)")
        let written = Self.everything(under: output) + run.standardOutput.text
            + run.standardError.text + ((try? String(contentsOfFile: exported, encoding: .utf8)) ?? "")
        for (name, value) in secrets {
            #expect(!written.contains(value), "\(name) leaked")
        }
        #expect(!written.contains("db-secret-\(token)"))
    }

    @Test("a 401 whose body echoes the key leaves the key out of result.json, run --json and the trajectory")
    func echoedKeyIsRedacted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = "sk-echo-\(UUID().uuidString)"
        let server = try FakeProviderServer(
            .openAI, turns: [],
            faults: [1: .status(401, body: #"{"error": {"message": "Incorrect API key provided: \#(key). Check it.", "type": "invalid_request_error"}}"#)])
        defer { server.stop() }
        let taskDirectory = try Self.task(in: directory)
        let output = directory.path + "/run"
        let run = try await Self.patchloop(
            [
                "run", taskDirectory, "--model", "openai-compatible:m", "--base-url", server.baseURL, "--max-retries", "0", "--output", output,
                "--sandboxes", directory.path + "/Sandboxes", "--json",
            ],
            environment: ["OPENAI_API_KEY": key])
        #expect(run.exitCode == 3, "\(run.standardError.text)")
        #expect(run.standardOutput.text.contains("[REDACTED]") || run.standardError.text.contains("[REDACTED]"))
        let written = Self.everything(under: output) + run.standardOutput.text + run.standardError.text
        #expect(written.contains("model_error"))
        #expect(!written.contains(key))
    }

    @Test("an instance_id with ../ is an input error (exit 2) naming the file, and nothing outside the run changes")
    func traversalIDRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let taskDirectory = try Self.task(in: directory, id: "../../../victim")
        let before = Set(FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? [])
        let list = try await Self.patchloop(["tasks", "list", directory.path + "/tasks"])
        #expect(list.exitCode == 2)
        #expect(list.standardError.text.contains(taskDirectory))
        #expect(list.standardError.text.contains("instance_id"))
        let eval = try await Self.patchloop([
            "eval", directory.path + "/tasks", "--model", "scripted:gold", "--output", directory.path + "/run", "--sandboxes",
            directory.path + "/Sandboxes",
        ])
        #expect(eval.exitCode == 2, "\(eval.standardError.text)")
        let validate = try await Self.patchloop(["tasks", "validate", directory.path + "/tasks", "--sandboxes", directory.path + "/Sandboxes"])
        #expect(validate.exitCode == 2)
        let after = Set(FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? [])
        #expect(after == before, "files appeared: \(after.subtracting(before).sorted())")
        #expect(!FileManager.default.fileExists(atPath: (directory.path as NSString).deletingLastPathComponent + "/victim.json"))

        // The same rule for predictions: a hostile id is exit 2 before anything is graded.
        _ = try Self.task(in: directory)
        let predictions = directory.path + "/preds.jsonl"
        try (#"{"instance_id": "../escape", "model_patch": ""}"# + "\n").write(toFile: predictions, atomically: true, encoding: .utf8)
        let score = try await Self.patchloop(["score", predictions, "--tasks", directory.path + "/tasks", "--output", directory.path + "/scored"])
        #expect(score.exitCode == 2)
        #expect(score.standardError.text.contains("instance_id"))
    }
}

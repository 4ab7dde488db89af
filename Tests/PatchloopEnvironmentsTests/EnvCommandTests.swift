import Foundation
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("patchloop env on the command line")
struct EnvCommandTests {
    func patchloop(_ arguments: [String], cache: String, in directory: String) async throws -> ProcessOutcome {
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        var environment = ProcessEnvironment.allowListed()
        environment["PATCHLOOP_CACHE"] = cache
        return try await ProcessRunner().run(
            ProcessSpec(executable: executable, arguments: arguments, workingDirectory: directory, environment: environment, timeout: 300, mergeStandardError: true))
    }

    func writeTask(_ environment: String, in directory: TemporaryDirectory) throws {
        try directory.write([
            "tasks/t1/task.json": #"{"instance_id": "t1", "problem_statement": "p", "FAIL_TO_PASS": ["a"], "test_cmd": "true", "log_parser": "pytest", "environment": "#
                + environment + "}",
            "tasks/t1/repo/a.py": "x = 1\n",
            "tasks/t1/gold.patch": "",
        ])
    }

    @Test("a missing interpreter fails the build (exit 1) and validation (environment_error); list shows it; prune clears it")
    func missingInterpreter() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeTask(#"{"python": "3.5"}"#, in: directory)
        let cache = directory.path + "/cache"
        let build = try await patchloop(["env", "build", "tasks"], cache: cache, in: directory.path)
        #expect(build.exitCode == 1, "\(build.standardOutput.text)")
        #expect(build.standardOutput.text.contains("Python 3.5 is not installed"))
        let validate = try await patchloop(["tasks", "validate", "tasks", "--no-sandbox"], cache: cache, in: directory.path)
        #expect(validate.exitCode == 1)
        #expect(validate.standardOutput.text.contains("environment_error: Python 3.5 is not installed"), "\(validate.standardOutput.text)")
        let list = try await patchloop(["env", "list"], cache: cache, in: directory.path)
        #expect(list.exitCode == 0)
        #expect(list.standardOutput.text.contains("failed"))
        let prune = try await patchloop(["env", "prune"], cache: cache, in: directory.path)
        #expect(prune.standardOutput.text.contains("1 environment removed"), "\(prune.standardOutput.text)")
    }

    @Test("prune with TASKS removes the kept builds of commits those tasks do not check out, and leaves a locked, a half-written and a bundled task's build")
    func pruneUnusedBuilds() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let used = String(repeating: "a", count: 40)
        let unused = String(repeating: "b", count: 40)
        let locked = String(repeating: "c", count: 40)
        try directory.write([
            "tasks/t1/task.json": #"{"instance_id": "t1", "problem_statement": "p", "FAIL_TO_PASS": ["a"], "test_cmd": "true", "log_parser": "pytest", "#
                + #""repo_path": "../../clone", "base_commit": "\#(used.uppercased())", "environment": {"python": "3.11", "install": ["python setup.py build_ext --inplace"], "reuse_build": true}}"#,
            "clone/.keep": "",
            "bundled/t2/task.json": #"{"instance_id": "t2", "problem_statement": "p", "FAIL_TO_PASS": ["a"], "test_cmd": "true", "log_parser": "pytest", "#
                + #""environment": {"python": "3.10", "install": ["make"], "reuse_build": true}}"#,
            "bundled/t2/repo/a.py": "x = 1\n",
            "bundled/t2/gold.patch": "",
        ])
        let gitKey = try #require(try TaskStore.loadTask(directory.path + "/tasks/t1").environment?.key)
        let bundledKey = try #require(try TaskStore.loadTask(directory.path + "/bundled/t2").environment?.key)
        let cache = directory.path + "/cache"
        let builds = cache + "/builds/" + gitKey
        try directory.write([
            "cache/builds/\(gitKey)/\(used)-0123456789abcdef/files/fast.so": "used",
            "cache/builds/\(gitKey)/\(unused)-0123456789abcdef/files/fast.so": "unused",
            "cache/builds/\(gitKey)/\(locked)-0123456789abcdef/files/fast.so": "being copied",
            "cache/builds/\(gitKey)/\(unused)-fedcba9876543210.partial-1a2b3c4d/files/fast.so": "being written",
            "cache/builds/\(bundledKey)/\(unused)-0123456789abcdef/files/fast.so": "a bundled task's commit is Patchloop's own",
        ])
        let lock = try await FileLock.acquire(path: builds + "/\(locked)-0123456789abcdef.lock", shared: true)
        defer { lock.release() }

        let prune = try await patchloop(["env", "prune", "tasks", "bundled"], cache: cache, in: directory.path)
        #expect(prune.exitCode == 0, "\(prune.standardOutput.text)")
        #expect(prune.standardOutput.text.contains("0 environments removed, 1 kept build of unused commits"), "\(prune.standardOutput.text)")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: builds))
        #expect(!left.contains("\(unused)-0123456789abcdef"))
        #expect(left.isSuperset(of: ["\(used)-0123456789abcdef", "\(locked)-0123456789abcdef", "\(unused)-fedcba9876543210.partial-1a2b3c4d"]), "\(left)")
        #expect(FileManager.default.fileExists(atPath: cache + "/builds/\(bundledKey)/\(unused)-0123456789abcdef/files/fast.so"))
    }

    @Test("a bad environment field exits 2 naming the file and the field")
    func badField() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeTask(#"{"python": "3.9", "pip": "x", "pip_packages": ["y"]}"#, in: directory)
        let build = try await patchloop(["env", "build", "tasks"], cache: directory.path + "/cache", in: directory.path)
        #expect(build.exitCode == 2)
        #expect(build.standardOutput.text.contains("environment has unknown field pip_packages"), "\(build.standardOutput.text)")
        #expect(build.standardOutput.text.contains("tasks/t1"))
    }

    @Test("an image named like a docker option exits 2 naming the field; an unknown --runtime exits 2 naming the choices")
    func hostileImageAndRuntime() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeTask(#"{"image": "--privileged"}"#, in: directory)
        let build = try await patchloop(["env", "build", "tasks"], cache: directory.path + "/cache", in: directory.path)
        #expect(build.exitCode == 2)
        #expect(build.standardOutput.text.contains("environment.image '--privileged' is not a container image name"), "\(build.standardOutput.text)")
        try writeTask(#"{"image": "busybox"}"#, in: directory)
        let runtime = try await patchloop(["tasks", "validate", "tasks", "--runtime", "lxc"], cache: directory.path + "/cache", in: directory.path)
        #expect(runtime.exitCode == 2)
        #expect(runtime.standardOutput.text.contains("--runtime 'lxc' is neither docker nor podman"), "\(runtime.standardOutput.text)")
    }
}

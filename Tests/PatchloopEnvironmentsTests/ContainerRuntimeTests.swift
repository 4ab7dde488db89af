import Foundation
import PatchloopCore
import PatchloopEnvironments
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Testing

/// A task whose tests run in a container of a locally built image (busybox and the
/// repository at its base commit in `/testbed`, plus a build artifact the repository does
/// not hold), through a private docker daemon.
@Suite("Container runtime", .enabled(if: DockerDaemon.isAvailable, "needs root, dockerd, docker and busybox (scripts/setup)"))
struct ContainerRuntimeTests {
    static let runScript = """
        . ./calc.sh
        check() { if [ "$2" = "$3" ]; then echo "PASSED $1"; else echo "FAILED $1"; fi; }
        check artifact "$(cat build/artifact 2>/dev/null)" built
        check mul "$(mul 2 3)" 6
        check activation "$GREETING" activated
        check variable "$TASK_FLAG" on

        """
    static let baseFiles = [
        "calc.sh": "add() { echo $(($1 - $2)); }\nmul() { echo $(($1 * $2)); }\n",
        "tests/run.sh": runScript,
        ".gitignore": "build/\n",
    ]
    static let testPatch = """
        diff --git a/tests/run.sh b/tests/run.sh
        --- a/tests/run.sh
        +++ b/tests/run.sh
        @@ -5,2 +5,3 @@ check mul "$(mul 2 3)" 6
         check activation "$GREETING" activated
         check variable "$TASK_FLAG" on
        +check add "$(add 2 3)" 5

        """
    static let goldPatch = """
        diff --git a/calc.sh b/calc.sh
        --- a/calc.sh
        +++ b/calc.sh
        @@ -1,2 +1,2 @@
        -add() { echo $(($1 - $2)); }
        +add() { echo $(($1 + $2)); }
         mul() { echo $(($1 * $2)); }

        """

    /// A task in `directory` whose environment is a fresh image (its own name), prepared
    /// through `EnvironmentBuilder` against the test daemon.
    static func makeTask(
        in directory: TemporaryDirectory, daemon: DockerDaemon, testCommand: String = "sh tests/run.sh", timeout: Double = 120,
        variables: [String: String] = [:]
    ) async throws -> TaskInstance {
        var env: [String: JSONValue] = ["TASK_FLAG": "on"]
        for (name, value) in variables { env[name] = .string(value) }
        let image = "patchloop-test/calc:\(UUID().uuidString.prefix(8).lowercased())"
        var imageFiles = ["testbed/build/artifact": "built"]
        for (path, content) in baseFiles { imageFiles["testbed/" + path] = content }
        try await daemon.importBusyboxImage(named: image, files: imageFiles)
        var files = [
            "tasks/calc-1/task.json": JSONValue.object([
                "instance_id": "calc-1", "problem_statement": "add(2, 3) gives -1", "FAIL_TO_PASS": ["add"],
                "PASS_TO_PASS": ["artifact", "mul", "activation", "variable"], "test_cmd": .string(testCommand), "log_parser": "pytest",
                "timeout": .number(timeout),
                "environment": ["image": .string(image), "workdir": "/testbed", "activate": "export GREETING=activated", "env": .object(env)],
            ]).encoded(),
            "tasks/calc-1/test.patch": testPatch,
            "tasks/calc-1/gold.patch": goldPatch,
        ]
        for (path, content) in baseFiles { files["tasks/calc-1/repo/" + path] = content }
        try directory.write(files)
        let builder = EnvironmentBuilder(
            cache: EnvironmentCache(root: directory.path + "/cache"), hostEnvironment: daemonEnvironment(daemon), containerRuntime: .docker)
        let task = try #require(await builder.prepare([try TaskStore.loadTask(directory.path + "/tasks/calc-1")]).first)
        if let failure = task.environmentFailure { throw failure }
        return task
    }

    static func daemonEnvironment(_ daemon: DockerDaemon) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_HOST"] = daemon.runtime.environment["DOCKER_HOST"]
        return environment
    }

    /// A worktree of `task`'s base and the suite that runs its tests in a container.
    static func suite(for task: TaskInstance, in directory: TemporaryDirectory, runID: String) async throws -> (Sandbox, TaskTestSuite) {
        let configuration = RunConfiguration(runID: runID, outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let base = try await AttemptRunner(configuration: configuration).base(for: task)
        let sandbox = try await configuration.sandboxes.makeSandbox(from: base, group: runID, name: "calc-1-1")
        return (sandbox, try TaskTestSuite(task: task, isolation: .none, sandbox: sandbox, runID: runID))
    }

    @Test("run_tests runs in one container per attempt: the image's build artifact stays, host edits, deletions and reverts reach it, and it is removed at the end")
    func worktreeChangesReachTheContainer() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try await Self.makeTask(in: directory, daemon: daemon)
        let runID = "ct-\(UUID().uuidString.prefix(8))"
        let (sandbox, suite) = try await Self.suite(for: task, in: directory, runID: runID)
        let container = try #require(suite.container)

        let first = try await suite.run(tests: [], in: sandbox.path)
        #expect(first.passed == ["activation", "artifact", "mul", "variable"], "\(first.output)")

        // An edit on the host, a new file, then a deleted file and a revert.
        try "add() { echo $(($1 + $2)); }\nmul() { echo $(($1 * $2)); }\n".write(toFile: sandbox.path + "/calc.sh", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: sandbox.path + "/tests/extra", withIntermediateDirectories: true)
        try "check add \"$(add 2 3)\" 5\n".write(toFile: sandbox.path + "/tests/extra/add.sh", atomically: true, encoding: .utf8)
        let edited = try await suite.execute(". tests/run.sh; . tests/extra/add.sh", in: sandbox.path)
        #expect(edited.standardOutput.text.contains("PASSED add"), "\(edited.standardOutput.text)")

        try FileManager.default.removeItem(atPath: sandbox.path + "/tests/extra/add.sh")
        try FileManager.default.removeItem(atPath: sandbox.path + "/calc.sh")
        let deleted = try await suite.execute("ls tests/extra calc.sh 2>&1; echo end", in: sandbox.path)
        #expect(!deleted.standardOutput.text.contains("add.sh"), "\(deleted.standardOutput.text)")
        #expect(deleted.standardOutput.text.contains("calc.sh: No such file"), "\(deleted.standardOutput.text)")

        try Self.baseFiles["calc.sh"]!.write(toFile: sandbox.path + "/calc.sh", atomically: true, encoding: .utf8)
        let reverted = try await suite.execute("cat calc.sh", in: sandbox.path)
        #expect(reverted.standardOutput.text == Self.baseFiles["calc.sh"]!)

        // A rename: the old path goes too.
        try FileManager.default.moveItem(atPath: sandbox.path + "/tests/run.sh", toPath: sandbox.path + "/tests/renamed.sh")
        let renamed = try await suite.execute("ls tests", in: sandbox.path)
        #expect(renamed.standardOutput.text == "extra\nrenamed.sh\n", "\(renamed.standardOutput.text)")

        #expect(await container.containersStarted == 1)
        let id = try #require(await container.currentContainer)
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).contains { $0.hasPrefix(id) })
        await suite.finish()
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).isEmpty)
        // Nothing the tests wrote came back to the host: its only change is the rename.
        #expect(try await sandbox.changedPaths() == ["tests/renamed.sh", "tests/run.sh"])
    }

    @Test("the container sees no secret of Patchloop's environment, no host PATH and no network; the task's variables and activation reach it")
    func noSecretsNoNetwork() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let secret = "sk-container-\(UUID().uuidString)"
        setenv("PATCHLOOP_TEST_CONTAINER_API_KEY", secret, 1)
        // A task variable named like the client's own setting reaches the container, not the client.
        let task = try await Self.makeTask(in: directory, daemon: daemon, variables: ["DOCKER_HOST": "unix:///nonexistent.sock"])
        let runID = "ct-\(UUID().uuidString.prefix(8))"
        let (sandbox, suite) = try await Self.suite(for: task, in: directory, runID: runID)
        let outcome = try await suite.execute("env; echo interfaces: $(ls /sys/class/net)", in: sandbox.path)
        #expect(outcome.standardOutput.text.contains("DOCKER_HOST=unix:///nonexistent.sock"), "\(outcome.standardOutput.text)")
        await suite.finish()
        let log = outcome.standardOutput.text
        #expect(!log.contains(secret))
        #expect(!log.contains("PATCHLOOP_TEST_CONTAINER_API_KEY"))
        #expect(log.contains("PATH=/bin\n"), "the image's own PATH: \(log)")
        #expect(log.contains("TASK_FLAG=on") && log.contains("GREETING=activated"))
        #expect(log.contains("interfaces: lo\n"), "\(log)")
    }

    @Test("a file named like a tar option is copied as a file, never read as an option")
    func hostileFileNames() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try await Self.makeTask(in: directory, daemon: daemon)
        let (sandbox, suite) = try await Self.suite(for: task, in: directory, runID: "ct-\(UUID().uuidString.prefix(8))")
        // tar runs in the worktree: an executed checkpoint action would leave the marker there.
        let marker = "PWNED-\(UUID().uuidString.prefix(8))"
        try "1".write(toFile: sandbox.path + "/--checkpoint=1", atomically: true, encoding: .utf8)
        try "2".write(toFile: sandbox.path + "/--checkpoint-action=exec=touch \(marker)", atomically: true, encoding: .utf8)
        let outcome = try await suite.execute("cat ./--checkpoint=1; ls", in: sandbox.path)
        await suite.finish()
        #expect(outcome.standardOutput.text.hasPrefix("1"), "\(outcome.standardOutput.text)")
        #expect(outcome.standardOutput.text.contains("--checkpoint-action=exec=touch \(marker)"))
        #expect(!outcome.standardOutput.text.contains("\n\(marker)\n"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.path + "/" + marker))
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/" + marker))
    }

    @Test("a test run past its time limit kills its container; the next run starts a fresh one")
    func timeoutKillsTheContainer() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try await Self.makeTask(in: directory, daemon: daemon, testCommand: "sleep 600", timeout: 3)
        let runID = "ct-\(UUID().uuidString.prefix(8))"
        let (sandbox, suite) = try await Self.suite(for: task, in: directory, runID: runID)
        let container = try #require(suite.container)
        let report = try await suite.run(tests: [], in: sandbox.path)
        #expect(report.timedOut)
        #expect(await container.currentContainer == nil)
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).isEmpty)
        // The session itself, with a limit no load reaches: the task's 3 s are for the timeout above.
        let next = try await container.execute("echo again", variables: [:], timeout: 600)
        #expect(next.standardOutput.text == "again\n")
        #expect(await container.containersStarted == 2)
        await suite.finish()
    }

    @Test("an interrupted test run leaves no container once its attempt ends")
    func interruptedRun() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try await Self.makeTask(in: directory, daemon: daemon, testCommand: "sleep 600", timeout: 900)
        let runID = "ct-\(UUID().uuidString.prefix(8))"
        let (sandbox, suite) = try await Self.suite(for: task, in: directory, runID: runID)
        let running = Task { try await suite.run(tests: [], in: sandbox.path) }
        // Interrupt once the container is up (the tests then sleep inside it).
        while try await daemon.containers(label: ContainerSession.runLabel, value: runID).isEmpty {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        running.cancel()
        let result = await running.result
        #expect(throws: (any Error).self) { try result.get() }
        await suite.finish()
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).isEmpty)
    }

    @Test("containers whose Patchloop was killed with SIGKILL are removed by the next one; those of a live process are kept")
    func leftoversOfAKilledRun() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let image = "patchloop-test/idle:\(UUID().uuidString.prefix(8).lowercased())"
        try await daemon.importBusyboxImage(named: image, files: [:])
        let runID = "killed-\(UUID().uuidString.prefix(8))"
        // A stand-in Patchloop: starts a labelled container as its own, as ContainerSession
        // does, then waits; it is killed with SIGKILL, so it never removes it.
        let docker = daemon.runtime.executable
        let script = """
            set -e
            stat=$(cat /proc/$$/stat); set -- ${stat#*) }
            owner="$(cat /proc/sys/kernel/hostname):$$:${20}"
            "\(docker)" run --detach --network=none --label=\(ContainerSession.ownerLabel)=$owner --label=\(ContainerSession.runLabel)=\(runID) --entrypoint=/bin/sh -- \(image) -c 'exec sleep 2147483647' >/dev/null
            echo started
            exec sleep 600
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = Self.daemonEnvironment(daemon)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = output.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self) == "started\n")
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).count == 1)

        // A live owner's container is not touched.
        await daemon.runtime.removeLeftovers()
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).count == 1)

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        // Tests running beside this one sweep the same daemon, so this sweep may find the
        // container already gone: what counts is that after a sweep no dead owner's is left.
        await daemon.runtime.removeLeftovers()
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).isEmpty)
    }

    @Test("scoring in a fresh container as SWE-bench grades: the gold patch resolves, the empty patch does not, and the test patch is the task's")
    func validatesInContainers() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try await Self.makeTask(in: directory, daemon: daemon)
        let runID = "validate-\(UUID().uuidString.prefix(8))"
        let configuration = RunConfiguration(runID: runID, outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let verdict = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(task)
        #expect(verdict.isValid, "\(verdict.problems)")
        #expect(verdict.gold?.resolved == true)
        #expect(verdict.gold?.failToPass.success == ["add"])
        #expect(verdict.empty?.resolved == false)
        #expect(verdict.empty?.failToPass.failure == ["add"])
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).isEmpty)
    }

    @Test("an eval attempt with the scripted model: run_tests in the container, then scored in another; a missing image is environment_error")
    func evalEndToEnd() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try await Self.makeTask(in: directory, daemon: daemon)
        let runID = "eval-\(UUID().uuidString.prefix(8))"
        let configuration = RunConfiguration(runID: runID, outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let turns: [ScriptedModel.Turn] = [
            .call("run_tests"),
            .call("edit", ["path": "calc.sh", "old_str": "$(($1 - $2))", "new_str": "$(($1 + $2))"]),
            .call("submit"),
        ]
        let record = try await AttemptRunner(configuration: configuration).run(task, model: ScriptedModel(turns: turns))
        #expect(record.resolved)
        #expect(record.failure.kind == .resolved)
        let trajectory = try String(contentsOfFile: directory.path + "/run/trajectories/calc-1.jsonl", encoding: .utf8)
        #expect(trajectory.contains("PASSED artifact"))
        #expect(try await daemon.containers(label: ContainerSession.runLabel, value: runID).isEmpty)

        // The same task whose image is not loaded: its attempt is the environment's failure.
        var missing = try TaskStore.loadTask(directory.path + "/tasks/calc-1")
        missing.environment?.image = "patchloop-test/not-loaded:1"
        let builder = EnvironmentBuilder(
            cache: EnvironmentCache(root: directory.path + "/cache"), hostEnvironment: Self.daemonEnvironment(daemon), containerRuntime: .docker)
        let prepared = try #require(await builder.prepare([missing]).first)
        let failure = try #require(prepared.environmentFailure)
        #expect(failure.message.contains("patchloop-test/not-loaded:1 is not in docker's store"))
        let settings = EvaluationSettings(
            runID: runID + "-missing", outputDirectory: directory.path + "/run-missing", taskSources: [directory.path + "/tasks"],
            instanceIDs: ["calc-1"], mode: .predictions(path: "gold"), sandboxRoot: directory.path + "/Sandboxes", isolation: .none)
        let outcome = try await EvaluationRunner(settings: settings, tasks: [prepared], workers: 1, resume: false).run()
        let only = try #require(outcome.records.first)
        #expect(only.failure.kind == .environmentError, "\(only.failure)")
    }

    @Test("on the command line: tasks validate and eval --runtime docker run an image task's tests in containers")
    func commandLine() async throws {
        let daemon = try await DockerDaemon.shared()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.makeTask(in: directory, daemon: daemon)
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        var environment = ProcessEnvironment.allowListed()
        environment["DOCKER_HOST"] = daemon.runtime.environment["DOCKER_HOST"]
        environment["PATCHLOOP_CACHE"] = directory.path + "/cache"
        func patchloop(_ arguments: [String]) async throws -> ProcessOutcome {
            try await ProcessRunner().run(
                ProcessSpec(
                    executable: executable, arguments: arguments + ["--runtime", "docker", "--sandboxes", directory.path + "/Sandboxes"],
                    workingDirectory: directory.path, environment: environment, timeout: 300, mergeStandardError: true))
        }
        let validate = try await patchloop(["tasks", "validate", "tasks"])
        #expect(validate.exitCode == 0, "\(validate.standardOutput.text)")
        #expect(validate.standardOutput.text.contains("1 valid, 0 invalid"))
        let eval = try await patchloop(["eval", "tasks", "--model", "scripted:gold", "--output", directory.path + "/run"])
        #expect(eval.exitCode == 0, "\(eval.standardOutput.text)")
        let result = try JSONValue.parse(try directory.read("run/results/calc-1.json"))
        #expect(result["calc-1"]?["resolved"]?.boolValue == true, "\(result.encoded())")
    }
}

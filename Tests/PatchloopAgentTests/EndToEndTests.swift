import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("End to end")
struct EndToEndTests {
    @Test("the scripted gold policy solves a bundled task in a sandboxed worktree, scored resolved by the hidden tests")
    func solvesBundledTask() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskFixtures.bundled("patchloop__roman-1")
        let configuration = RunConfiguration(
            runID: "e2e", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes", isolation: .bubblewrap)
        let result = try await AttemptRunner(configuration: configuration).run(task, model: PatchReplayModel.model(for: task.goldPatch))
        #expect(result.resolved)
        #expect([.submitted, .testsPassed].contains(result.exitStatus))
        #expect(result.report?.testsStatus.failToPass.failure == [])
        #expect(result.report?.testsStatus.passToPass.failure == [])
        #expect(result.hasPatch)
        #expect(try String(contentsOfFile: try #require(result.patchPath), encoding: .utf8) == result.patch)

        let trajectory = try TrajectoryFile(path: try #require(result.trajectoryPath))
        #expect(trajectory.events.first?["type"] == "header")
        #expect(trajectory.events.last?["type"] == "result")
        let recorded = try #require(trajectory.result.flatMap(AttemptRecord.init(resultEvent:)))
        #expect(recorded.resolved)
        #expect(recorded.report?.testsStatus.failToPass.success.count == task.failToPass.count)
        // The sandbox is gone once the attempt ends.
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/Sandboxes/e2e/\(task.instanceID)-1"))
    }

    @Test("the empty patch is scored unresolved")
    func emptyIsUnresolved() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskFixtures.pythonCalculator(in: directory)
        let configuration = RunConfiguration(
            runID: "empty", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes", isolation: .bubblewrap)
        let result = try await AttemptRunner(configuration: configuration).run(task, model: ScriptedModel(turns: [.call("submit")]))
        #expect(result.exitStatus == .submitted)
        #expect(!result.resolved)
        #expect(!result.hasPatch)
        #expect(result.report?.testsStatus.failToPass.failure == ["tests/test_calc.py::test_add"])
    }

    @Test("a run killed with SIGKILL mid-way leaves every finished step readable")
    func killedRunLeavesReadableTrajectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let task = try TaskFixtures.pythonCalculator(in: directory)
        // Many steps, each running the tests (about half a second): the kill lands mid-run.
        var turns: [JSONValue] = []
        for index in 0..<200 {
            turns.append(["tool_calls": [["name": "run_tests", "arguments": ["tests": [.string(index % 2 == 0 ? "tests/test_calc.py::test_mul" : "tests/test_calc.py")]]]]])
            turns.append(["tool_calls": [["name": "read_file", "arguments": ["path": "calc.py", "start_line": .number(Double(index % 5 + 1))]]]])
        }
        let script = directory.path + "/script.json"
        try JSONValue.array(turns).encoded().write(toFile: script, atomically: true, encoding: .utf8)
        let output = directory.path + "/run"
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "run", task.directory ?? "", "--model", "scripted:\(script)", "--output", output, "--sandboxes", directory.path + "/Sandboxes",
            "--max-steps", "400", "--no-stop-on-pass",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let trajectoryPath = output + "/trajectories/\(task.instanceID).jsonl"
        var lines = 0
        for _ in 0..<300 where lines < 5 {
            try await Task.sleep(for: .milliseconds(100))
            lines = ((try? String(contentsOfFile: trajectoryPath, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(lines >= 5, "the run should have recorded steps before the kill")

        let trajectory = try TrajectoryFile(path: trajectoryPath)
        #expect(trajectory.header?["instance_id"] == .string(task.instanceID))
        #expect(trajectory.steps.count >= 4)
        #expect(trajectory.result == nil)
        #expect(trajectory.unreadableLines.allSatisfy { $0 == trajectory.events.count + trajectory.unreadableLines.count })
        for step in trajectory.steps {
            #expect(step["observations"]?.arrayValue?.count == 1)
        }
        let rendered = TrajectoryRenderer().render(trajectory)
        #expect(rendered.contains("no result line"))
    }
}

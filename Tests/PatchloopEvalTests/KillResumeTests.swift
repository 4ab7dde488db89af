import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("eval killed with SIGKILL, then resumed")
struct KillResumeTests {
    @Test("kill -9 mid-run, then --resume: every attempt finished once, none lost, none twice")
    func killAndResume() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(30, in: directory)
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        let output = directory.path + "/run"
        let sandboxes = directory.path + "/Sandboxes"

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["eval", source, "--model", "scripted:gold", "--workers", "2", "--output", output, "--sandboxes", sandboxes]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var finished = 0
        for _ in 0..<1500 where finished < 2 {
            try await Task.sleep(for: .milliseconds(10))
            finished = ((try? FileManager.default.contentsOfDirectory(atPath: output + "/results")) ?? []).filter { !$0.hasPrefix(".") }.count
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(finished >= 2, "some attempts should have finished before the kill")
        #expect(!FileManager.default.fileExists(atPath: output + "/summary.json"), "the kill should land before the run ends")

        let resumed = try await ProcessRunner().run(
            ProcessSpec(executable: executable, arguments: ["eval", "--resume", output, "--workers", "2"], timeout: 300, mergeStandardError: true))
        #expect(resumed.exitCode == 0, "\(resumed.standardOutput.text)")
        #expect(resumed.standardOutput.text.contains("resuming:"))

        let results = try FileManager.default.contentsOfDirectory(atPath: output + "/results").filter { !$0.hasPrefix(".") }
        #expect(results.count == 30)
        let predictions = try EvaluationFixtures.lines(output + "/predictions.jsonl").map { try JSONValue.parse($0) }
        #expect(predictions.count == 30)
        #expect(Set(predictions.compactMap { $0["instance_id"]?.stringValue }).count == 30)
        let summary = try JSONValue.parse(try String(contentsOfFile: output + "/summary.json", encoding: .utf8))
        #expect(summary["total_instances"] == 30 && summary["resolved_instances"] == 30 && summary["attempts"]?["finished"] == 30)
        // No worktree of the run is left behind.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: sandboxes)) ?? []
        #expect(left.filter { !$0.hasPrefix(".") }.isEmpty, "left in Sandboxes/: \(left)")
    }
}

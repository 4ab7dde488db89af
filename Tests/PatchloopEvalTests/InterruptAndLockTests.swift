import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// A `patchloop` process started in the background, its standard output and error in one file.
struct BackgroundPatchloop {
    let process = Process()
    let log: String

    init(_ arguments: [String], log: String) throws {
        let executable = PackageLocation.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the patchloop executable first (swift build)")
        self.log = log
        FileManager.default.createFile(atPath: log, contents: nil)
        let output = try #require(FileHandle(forWritingAtPath: log))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits up to `seconds` for `condition`; false if it never held.
    static func wait(seconds: Double, for condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    /// Waits for the process to end (on a thread of its own) and returns its exit status.
    func exitStatus() async throws -> Int32 {
        let process = process
        return try await onDedicatedThread {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }
}

/// What a run left under the sandboxes root: worktree folders (not the base repositories),
/// and worktrees still registered in the base repositories.
func leftovers(in sandboxes: String) -> (folders: [String], registrations: [String]) {
    let fileManager = FileManager.default
    let folders = ((try? fileManager.contentsOfDirectory(atPath: sandboxes)) ?? []).filter { !$0.hasPrefix(".") }
    var registrations: [String] = []
    for repository in (try? fileManager.contentsOfDirectory(atPath: sandboxes + "/.repos")) ?? [] {
        registrations += ((try? fileManager.contentsOfDirectory(atPath: sandboxes + "/.repos/" + repository + "/worktrees")) ?? [])
            .map { repository + "/" + $0 }
    }
    return (folders, registrations)
}

func resultFiles(_ run: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: run + "/results")) ?? []).filter { !$0.hasPrefix(".") }
}

/// A scripted model that answers after `delay` seconds: `reads` read_file calls, then submit.
func slowScript(in directory: TemporaryDirectory, delay: Double, reads: Int = 0) throws -> String {
    let turns: [JSONValue] = Array(
        repeating: ["tool_calls": [["name": "read_file", "arguments": ["path": "."]]]], count: reads)
    let path = directory.path + "/slow-model.json"
    try JSONValue.object(["turns": .array(turns), "delay": .number(delay)]).encoded().write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("runs that stop cleanly: one process per run directory, SIGINT and SIGTERM")
struct InterruptAndLockTests {
    @Test("a second process on a live run directory is refused with exit 2, naming the holder's pid; the lock dies with its holder")
    func concurrentResumeRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(6, in: directory)
        let script = try slowScript(in: directory, delay: 1)
        let output = directory.path + "/run"
        let sandboxes = directory.path + "/Sandboxes"
        let first = try BackgroundPatchloop(
            ["eval", source, "--model", "scripted:" + script, "--workers", "1", "--output", output, "--sandboxes", sandboxes, "--no-sandbox"],
            log: directory.path + "/first.log")
        let locked = try await BackgroundPatchloop.wait(seconds: 60) { RunDirectoryLock.holder(of: output + "/.lock") == first.pid }
        #expect(locked, "the first eval should hold the lock: \(first.output)")

        let second = try await runPatchloop(["eval", "--resume", output, "--workers", "1"], in: directory.path)
        #expect(second.exitCode == 2, "\(second.standardOutput.text)")
        #expect(second.standardOutput.text.contains("in use by process \(first.pid)"), "\(second.standardOutput.text)")
        // The refused process touched nothing: the first one's worktree is still there.
        #expect(first.process.isRunning, "the first eval should still run: \(first.output)")

        kill(first.pid, SIGKILL)
        _ = try await first.exitStatus()
        let resumed = try await runPatchloop(["eval", "--resume", output, "--workers", "2"], in: directory.path)
        #expect(resumed.exitCode == 0, "the lock goes with the killed process: \(resumed.standardOutput.text)")
        #expect(resultFiles(output).count == 6)
    }
}

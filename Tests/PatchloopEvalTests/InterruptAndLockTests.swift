import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTasks
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
        _ = FileManager.default.createFile(atPath: log, contents: nil)
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
    // Two calls in turn, so the loop never sees one call repeat and end the attempt as stuck.
    let turns: [JSONValue] = (0..<reads).map { index in
        ["tool_calls": [["name": "read_file", "arguments": ["path": index % 2 == 0 ? "." : "./"]]]]
    }
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

    @Test("SIGINT mid-eval: exit 130 with the resume hint and a summary, no worktree left; --resume then makes every attempt exactly once")
    func interruptThenResume() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(8, in: directory)
        let script = try slowScript(in: directory, delay: 0.5, reads: 1)
        let output = directory.path + "/run"
        let sandboxes = directory.path + "/Sandboxes"
        let eval = try BackgroundPatchloop(
            ["eval", source, "--model", "scripted:" + script, "--workers", "2", "--output", output, "--sandboxes", sandboxes, "--no-sandbox"],
            log: directory.path + "/eval.log")
        let someFinished = try await BackgroundPatchloop.wait(seconds: 120) { !resultFiles(output).isEmpty }
        #expect(someFinished, "an attempt should finish: \(eval.output)")
        kill(eval.pid, SIGINT)
        let status = try await eval.exitStatus()
        let log = eval.output
        #expect(status == 130, "\(log)")
        let done = resultFiles(output).count
        #expect(done < 8, "the interrupt should land before the run ends: \(log)")
        #expect(log.contains("interrupted: \(done) of 8 attempts done; resume with: patchloop eval --resume \(output)"), "\(log)")
        let summary = try JSONValue.parse(try String(contentsOfFile: output + "/summary.json", encoding: .utf8))
        #expect(summary["attempts"]?["finished"]?.intValue == done, "\(summary)")
        #expect(try EvaluationFixtures.lines(output + "/predictions.jsonl").count == done)
        let afterInterrupt = leftovers(in: sandboxes)
        #expect(afterInterrupt.folders.isEmpty && afterInterrupt.registrations.isEmpty, "left after the interrupt: \(afterInterrupt)")

        let resumed = try await runPatchloop(["eval", "--resume", output, "--workers", "2"], in: directory.path)
        #expect(resumed.exitCode == 0, "\(resumed.standardOutput.text)")
        let results = resultFiles(output)
        #expect(results.count == 8 && Set(results).count == 8, "\(results)")
        let predictions = try EvaluationFixtures.lines(output + "/predictions.jsonl").map { try JSONValue.parse($0) }
        let ids = predictions.compactMap { $0["instance_id"]?.stringValue }
        #expect(ids.count == 8 && Set(ids).count == 8, "\(ids)")
        let afterResume = leftovers(in: sandboxes)
        #expect(afterResume.folders.isEmpty && afterResume.registrations.isEmpty, "left after the resume: \(afterResume)")
    }

    @Test("SIGTERM during `run` exits 143 and removes the attempt's worktree")
    func terminateRun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(1, in: directory)
        let task = try #require(try TaskStore.load(source).first?.directory)
        let script = try slowScript(in: directory, delay: 0.5, reads: 20)
        let sandboxes = directory.path + "/Sandboxes"
        let run = try BackgroundPatchloop(
            ["run", task, "--model", "scripted:" + script, "--output", directory.path + "/run", "--sandboxes", sandboxes, "--no-sandbox"],
            log: directory.path + "/run.log")
        let stepping = try await BackgroundPatchloop.wait(seconds: 60) { run.output.contains("step 2") }
        #expect(stepping, "the attempt should be under way: \(run.output)")
        #expect(!leftovers(in: sandboxes).folders.isEmpty, "the attempt's worktree should exist while it runs")
        kill(run.pid, SIGTERM)
        let status = try await run.exitStatus()
        #expect(status == 143, "\(run.output)")
        #expect(run.output.contains("interrupted by SIGTERM"), "\(run.output)")
        let left = leftovers(in: sandboxes)
        #expect(left.folders.isEmpty && left.registrations.isEmpty, "left: \(left)")
    }

    @Test("SIGINT during `tasks validate` exits 130, says how far it got and removes its worktrees")
    func interruptValidate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(40, in: directory)
        let sandboxes = directory.path + "/Sandboxes"
        let validate = try BackgroundPatchloop(
            ["tasks", "validate", source, "--workers", "2", "--sandboxes", sandboxes, "--no-sandbox"], log: directory.path + "/validate.log")
        let started = try await BackgroundPatchloop.wait(seconds: 120) { validate.output.contains("✔") }
        #expect(started, "a task should be validated: \(validate.output)")
        kill(validate.pid, SIGINT)
        let status = try await validate.exitStatus()
        #expect(status == 130, "\(validate.output)")
        #expect(validate.output.contains("interrupted: ") && validate.output.contains("of 40 tasks validated"), "\(validate.output)")
        let left = leftovers(in: sandboxes)
        let details = left.registrations.map { entry -> String in
            let folder = sandboxes + "/.repos/" + entry.replacingOccurrences(of: ".git/", with: ".git/worktrees/")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return entry + " " + files.map { $0 + "=" + ((try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8)) ?? "?") }.joined(separator: ", ")
        }
        let contents = left.folders.map { folder in
            folder + ": " + ((FileManager.default.enumerator(atPath: sandboxes + "/" + folder)?.allObjects as? [String]) ?? []).prefix(20).joined(separator: " ")
        }
        #expect(left.folders.isEmpty && left.registrations.isEmpty, "left: \(left) \(details) \(contents)")
    }
}

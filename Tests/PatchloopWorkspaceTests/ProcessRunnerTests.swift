import Foundation
import PatchloopTesting
import PatchloopWorkspace
import Testing

@Suite("ProcessRunner")
struct ProcessRunnerTests {
    let runner = ProcessRunner()

    @Test("captures stdout, stderr and the exit code separately")
    func capturesOutputAndStatus() async throws {
        let outcome = try await runner.run(
            ProcessSpec(executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"], timeout: 10))
        #expect(outcome.exitCode == 3)
        #expect(outcome.standardOutput.text == "out\n")
        #expect(outcome.standardError.text == "err\n")
        #expect(!outcome.timedOut)
    }

    @Test("runs in the given working directory and feeds standard input")
    func workingDirectoryAndInput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await runner.run(
            ProcessSpec(executable: "/bin/sh", arguments: ["-c", "pwd; cat"], workingDirectory: directory.path, standardInput: Data("hello".utf8)))
        #expect(outcome.standardOutput.text == directory.path + "\nhello")
    }

    @Test("a timeout kills the whole process tree, grandchildren included")
    func timeoutKillsGrandchildren() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pidFile = directory.path + "/grandchild.pid"
        let started = Date()
        let outcome = try await runner.run(
            ProcessSpec(executable: "/bin/sh", arguments: ["-c", "sleep 60 & echo $! > \(pidFile); sleep 60"], timeout: 1))
        #expect(outcome.timedOut)
        #expect(Date().timeIntervalSince(started) < 30, "the 60 s child was stopped long before its end")
        let grandchild = try #require(Int32(try directory.read("grandchild.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await processIsGone(grandchild))
    }

    @Test("a background grandchild does not outlive a normal exit")
    func backgroundGrandchildIsKilledAfterExit() async throws {
        let outcome = try await runner.run(
            ProcessSpec(executable: "/bin/sh", arguments: ["-c", "sleep 60 >/dev/null 2>&1 & echo $!"], timeout: 10))
        #expect(outcome.exitCode == 0)
        let grandchild = try #require(Int32(outcome.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await processIsGone(grandchild))
    }

    @Test("50 MB of output neither hangs nor is kept whole: head and tail survive")
    func hugeOutputIsCapped() async throws {
        let limit = OutputLimit(headBytes: 1000, tailBytes: 500)
        let outcome = try await runner.run(
            ProcessSpec(
                executable: "/bin/sh",
                arguments: ["-c", "echo START; head -c 52428800 /dev/zero | tr '\\0' x; echo; echo END; echo oops >&2"],
                timeout: 60, outputLimit: limit))
        #expect(outcome.exitCode == 0)
        #expect(outcome.standardOutput.totalBytes == 52_428_800 + 6 + 1 + 4)
        #expect(outcome.standardOutput.isTruncated)
        #expect(outcome.standardOutput.head.count == 1000)
        #expect(outcome.standardOutput.tail.count == 500)
        let text = outcome.standardOutput.text
        #expect(text.hasPrefix("START\nxxx"))
        #expect(text.hasSuffix("xxx\nEND\n"))
        #expect(text.contains("bytes of output omitted"))
        #expect(outcome.standardError.text == "oops\n")
    }

    @Test("the default environment is an allow-list: secrets under any name stay out")
    func environmentIsAllowListed() async throws {
        let allowed = ProcessEnvironment.allowListed([
            "PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-1", "GITHUB_TOKEN": "t", "AWS_SECRET": "s", "DB_PASSWORD": "p", "HOME": "/root",
            "PGPASSWORD": "pw", "DATABASE_URL": "postgres://u:pw@db/x", "AZURE_OPENAI_KEY": "k", "LC_ALL": "C", "MY_SETTING": "1",
        ])
        #expect(allowed == ["PATH": "/usr/bin:/bin", "HOME": "/root", "LC_ALL": "C"])
        // A name the user passes through on purpose, by flag or by PATCHLOOP_PASS_ENV.
        let passed = ProcessEnvironment.allowListed(
            ["PATH": "/bin", "MY_SETTING": "1", "OTHER": "2", "PATCHLOOP_PASS_ENV": "OTHER"], passing: ["MY_SETTING"])
        #expect(passed == ["PATH": "/bin", "MY_SETTING": "1", "OTHER": "2"])
        setenv("PATCHLOOP_TEST_DATABASE_URL", "postgres://user:hunter2-secret@db/x", 1)
        setenv("PGPASSWORD", "pg-secret-value", 1)
        defer {
            unsetenv("PATCHLOOP_TEST_DATABASE_URL")
            unsetenv("PGPASSWORD")
        }
        let outcome = try await runner.run(ProcessSpec(executable: "env", timeout: 10))
        #expect(!outcome.standardOutput.text.contains("hunter2-secret"))
        #expect(!outcome.standardOutput.text.contains("pg-secret-value"))
        #expect(outcome.standardOutput.text.contains("PATH="))
    }

    @Test("a missing executable or working directory is a clear launch error")
    func launchErrors() async throws {
        await #expect(throws: ProcessLaunchError.self) {
            try await runner.run(ProcessSpec(executable: "no-such-program-patchloop"))
        }
        do {
            _ = try await runner.run(ProcessSpec(executable: "/bin/true", workingDirectory: "/nonexistent/patchloop"))
            Issue.record("expected a launch error")
        } catch let error as ProcessLaunchError {
            #expect(error.description.contains("/nonexistent/patchloop"))
        }
    }

    @Test("cancelling the calling task kills the process")
    func cancellationKills() async throws {
        let started = Date()
        let task = Task {
            try await runner.run(ProcessSpec(executable: "/bin/sleep", arguments: ["60"], timeout: 120))
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.terminatingSignal == SIGKILL)
        #expect(Date().timeIntervalSince(started) < 30, "the 60 s child was stopped long before its end")
    }
}

/// Waits up to two seconds for a process to disappear (it may need reaping by init).
func processIsGone(_ pid: Int32) async -> Bool {
    for _ in 0..<100 {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        // A zombie awaiting its reaper counts as gone.
        if let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            status.split(separator: " ").dropFirst(2).first == "Z"
        {
            return true
        }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}

import Foundation
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace

extension Benchmarks {
    /// What one `run_tests` of `task` costs under each confinement: no sandbox, the
    /// bubblewrap view Patchloop uses (an explicit list of read-only folders), and the
    /// whole root bound read-only (the view before issue 10, for comparison only).
    /// Runs are interleaved so load on the machine falls on all three alike.
    public static func sandboxCost(task: TaskInstance, repetitions: Int, workDirectory: String) async throws
        -> [(name: String, summary: Summary)]
    {
        let manager = SandboxManager(root: workDirectory + "/sandbox-cost")
        guard case .files(let files) = task.source else { throw SandboxError("the sandbox benchmark needs a task with repo/ files") }
        let base = try await manager.baseRepository(forFilesIn: files, name: task.instanceID)
        let sandbox = try await manager.makeSandbox(from: base, group: "bench", name: "cost")
        defer { Task { await manager.remove(sandbox) } }
        let environment = TaskTestSuite.environment()
        let runner = ProcessRunner()
        let tight = CommandIsolation.bubblewrap.spec(
            command: task.testCommand, worktree: sandbox.path, environment: environment, timeout: task.testTimeout)
        var wholeRoot = tight
        wholeRoot.arguments = [
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--bind", sandbox.path, sandbox.path,
            "--unshare-all", "--die-with-parent", "--new-session", "--chdir", sandbox.path, "--", "/bin/sh", "-c", task.testCommand,
        ]
        let plain = CommandIsolation.none.spec(command: task.testCommand, worktree: sandbox.path, environment: environment, timeout: task.testTimeout)
        let variants = [("no sandbox", plain), ("bubblewrap, explicit view", tight), ("bubblewrap, whole root read-only", wholeRoot)]
        var times = Array(repeating: [Double](), count: variants.count)
        for _ in 0..<max(1, repetitions) {
            for (index, variant) in variants.enumerated() {
                let outcome = try await runner.run(variant.1)
                guard outcome.exitCode != nil else { throw SandboxError("\(variant.0): the test command did not finish") }
                times[index].append(outcome.duration)
            }
        }
        return variants.enumerated().map { ($0.element.0, Summary(times[$0.offset])) }
    }
}

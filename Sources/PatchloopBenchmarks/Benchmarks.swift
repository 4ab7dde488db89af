import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace
import Synchronization

/// Measurements that issues name targets for. They print numbers; no test times anything.
public enum Benchmarks {
    /// Median and 90th percentile of a list of seconds, in milliseconds.
    public struct Summary: Sendable {
        public var median: Double
        public var p90: Double
        public var count: Int

        public init(_ seconds: [Double]) {
            let sorted = seconds.sorted()
            count = sorted.count
            median = sorted.isEmpty ? 0 : sorted[sorted.count / 2] * 1000
            p90 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.9))] * 1000
        }
    }

    /// The per-step times of one run: overall, and of its first and last tenth of steps,
    /// so that a cost growing with the history shows as a last tenth above the first.
    public struct StepSummary: Sendable {
        public var overall: Summary
        public var firstTenth: Summary
        public var lastTenth: Summary

        /// `seconds` in step order; a tenth is at least one step.
        public init(_ seconds: [Double]) {
            let tenth = max(1, seconds.count / 10)
            overall = Summary(seconds)
            firstTenth = Summary(Array(seconds.prefix(tenth)))
            lastTenth = Summary(Array(seconds.suffix(tenth)))
        }
    }

    /// Wall time per loop step with a scripted model whose every action is `read_file`
    /// of a small file, the trajectory written as it goes. Returns one summary per run length.
    public static func loopSteps(stepCounts: [Int], workDirectory: String) async throws -> [(steps: Int, summary: StepSummary)] {
        let repository = try await makeRepository(at: workDirectory + "/loop-repo", fileCount: 3)
        let manager = SandboxManager(root: workDirectory + "/sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        var results: [(Int, StepSummary)] = []
        for steps in stepCounts {
            let sandbox = try await manager.makeSandbox(from: base, group: "bench", name: "loop-\(steps)")
            let turns = (0..<steps).map { index in ScriptedModel.Turn.call("read_file", ["path": .string("file\(index % 3).txt")]) }
            let model = ScriptedModel(turns: turns)
            let recorder = try TrajectoryRecorder(path: workDirectory + "/trajectory-\(steps).jsonl")
            let times = StepClock()
            var agent = Agent(
                model: model, context: ToolContext(worktree: sandbox.path, testSuite: nil, git: sandbox.git), sandbox: sandbox,
                settings: AgentSettings(budget: Budget(maxSteps: steps + 1, maxSeconds: nil)), recorder: recorder)
            agent.onStep = { _ in times.tick() }
            times.tick()
            _ = await agent.run(AgentTask(instanceID: "bench", repositoryName: "bench", problemStatement: "Benchmark."))
            // The last tick is the closing submit; every other interval is one read_file step.
            results.append((steps, StepSummary(Array(times.intervals().dropLast()))))
            await manager.remove(sandbox)
        }
        return results
    }

    /// Time to make (and, separately, remove) a sandbox of a repository with `fileCount` files.
    public static func sandboxCreation(fileCounts: [Int], repetitions: Int, workDirectory: String) async throws
        -> [(files: Int, create: Summary, remove: Summary)]
    {
        var results: [(Int, Summary, Summary)] = []
        for count in fileCounts {
            let repository = try await makeRepository(at: workDirectory + "/repo-\(count)", fileCount: count)
            let manager = SandboxManager(root: workDirectory + "/sandboxes")
            let base = try await manager.baseRepository(gitRepository: repository)
            var creates: [Double] = []
            var removes: [Double] = []
            for index in 0..<repetitions {
                let started = Date()
                let sandbox = try await manager.makeSandbox(from: base, group: "bench", name: "s\(count)-\(index)")
                creates.append(Date().timeIntervalSince(started))
                let removing = Date()
                await manager.remove(sandbox)
                removes.append(Date().timeIntervalSince(removing))
            }
            results.append((count, Summary(creates), Summary(removes)))
        }
        return results
    }

    /// A git repository of `fileCount` small text files spread over folders.
    static func makeRepository(at path: String, fileCount: Int) async throws -> String {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let git = Git()
        try await git.run(["init", "--quiet", "."], in: path)
        for index in 0..<fileCount {
            let directory = fileCount > 50 ? "\(path)/pkg\(index % 50)/sub\(index % 7)" : path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let body = (0..<40).map { "line \($0) of file \(index)\n" }.joined()
            try body.write(toFile: "\(directory)/file\(index).txt", atomically: false, encoding: .utf8)
        }
        try await git.run(["add", "-A"], in: path)
        try await git.run(["commit", "--quiet", "-m", "base"], in: path)
        return path
    }
}

/// Timestamps taken from the loop's step callback.
final class StepClock: Sendable {
    private let stamps = Mutex<[Double]>([])

    func tick() {
        let now = Date().timeIntervalSinceReferenceDate
        stamps.withLock { $0.append(now) }
    }

    func intervals() -> [Double] {
        let values = stamps.withLock { $0 }
        return zip(values.dropFirst(), values).map { $0 - $1 }
    }
}

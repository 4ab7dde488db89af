import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopExport
import PatchloopModels
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace

/// Measures export throughput: trajectories per second for each format, over a run
/// directory of real (scripted) attempts.
public enum ExportBenchmark {
    /// The printed figures, and how many rows (pairs for dpo, files for swe-agent) each format produced.
    public struct Measurement: Sendable {
        public var report: String
        public var produced: [ExportFormat: Int]
    }

    /// The printed figures alone.
    public static func run(attempts: Int = 200, stepsPerAttempt: Int = 20) async throws -> String {
        try await measure(attempts: attempts, stepsPerAttempt: stepsPerAttempt).report
    }

    /// Records `attempts` scripted attempts spread over a fifth as many tasks, each task
    /// with both resolved and unresolved attempts (so the dpo export has pairs to make),
    /// then times every export format over them.
    public static func measure(attempts: Int = 200, stepsPerAttempt: Int = 20) async throws -> Measurement {
        let directory = try TemporaryDirectory(prefix: "patchloop-export-bench")
        defer { directory.remove() }
        let files = Dictionary(uniqueKeysWithValues: (0..<5).map { ("src/f\($0).py", (1...120).map { "line_\($0) = \($0)\n" }.joined()) })
        let repository = try await TestRepository.make(in: directory, files: files)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let sandbox = try await manager.makeSandbox(from: base, group: "bench", name: "export")
        let run = directory.path + "/run"
        let tasks = max(1, attempts / 5)
        for attempt in 1...attempts {
            // A task's attempts share its prompt and diverge at their first action (the start line differs), and
            // resolved alternates between them: pairs of the same task, as preference pairs need.
            let task = attempt % tasks
            let resolved = (attempt / tasks) % 2 == 0
            let turns = (0..<stepsPerAttempt).map { step in
                ScriptedModel.Turn.call("read_file", ["path": .string("src/f\(step % 5).py"), "start_line": .number(Double((step + attempt) % 50 + 1))], thought: "Step \(step).")
            }
            let recorder = try TrajectoryRecorder(path: "\(run)/trajectories/bench-\(task).\(attempt).jsonl")
            let agent = Agent(
                model: ScriptedModel(turns: turns), context: ToolContext(worktree: sandbox.path, testSuite: nil, git: sandbox.git), sandbox: sandbox,
                settings: AgentSettings(budget: Budget(maxSteps: stepsPerAttempt + 2, maxSeconds: nil)), recorder: recorder)
            let outcome = await agent.run(
                AgentTask(instanceID: "bench-\(task)", repositoryName: "bench", problemStatement: "Benchmark task \(task)."),
                header: ["run_id": "bench", "attempt": .number(Double(attempt))])
            var record = AttemptRecord(
                instanceID: "bench-\(task)", attempt: attempt, model: "scripted", patch: outcome.patch, exitStatus: outcome.exitStatus,
                detail: outcome.detail, score: nil, steps: outcome.steps, duration: outcome.duration, startedAt: Date())
            record.report = SWEbenchReport(patchIsNone: false, patchExists: true, patchSuccessfullyApplied: true, resolved: resolved)
            recorder.record(["type": "result", "record": try RunFileCoding.jsonValue(record)])
        }
        let paths = try TrajectoryLocator.trajectories(in: [run])
        let bytes = paths.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        let readStarted = Date()
        _ = try paths.map { try RecordedAttempt(path: $0) }
        var report = "\(attempts) attempts of \(tasks) tasks, \(stepsPerAttempt + 1) steps each, \(bytes / 1024) KiB of trajectories\n"
        var produced: [ExportFormat: Int] = [:]
        report += String(format: "reading alone: %.0f trajectories/s\n", Double(attempts) / Date().timeIntervalSince(readStarted))
        for format in ExportFormat.allCases {
            let started = Date()
            let result = try Exporter(options: ExportOptions(format: format)).export(paths: [run])
            try ExportWriter.write(result, format: format, to: directory.path + "/out-\(format.rawValue)" + (format == .sweAgent ? "" : ".jsonl"), sidecar: format == .openai)
            let seconds = Date().timeIntervalSince(started)
            let count = format == .sweAgent ? result.files.count : result.rows.count
            produced[format] = count
            report += String(format: "%@: %.0f trajectories/s (%d read, %d %@ written, %.3f s)\n", format.rawValue, Double(attempts) / seconds, result.attemptsRead, count, format == .dpo ? "pairs" : "rows", seconds)
        }
        return Measurement(report: report, produced: produced)
    }
}

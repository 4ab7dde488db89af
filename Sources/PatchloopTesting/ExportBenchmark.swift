import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopExport
import PatchloopModels
import PatchloopTools
import PatchloopWorkspace

/// Measures export throughput: trajectories per second for each format, over a run
/// directory of real (scripted) attempts.
public enum ExportBenchmark {
    public static func run(attempts: Int = 200, stepsPerAttempt: Int = 20) async throws -> String {
        let directory = try TemporaryDirectory(prefix: "patchloop-export-bench")
        defer { directory.remove() }
        let files = Dictionary(uniqueKeysWithValues: (0..<5).map { ("src/f\($0).py", (1...120).map { "line_\($0) = \($0)\n" }.joined()) })
        let repository = try await TestRepository.make(in: directory, files: files)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        let sandbox = try await manager.makeSandbox(from: base, group: "bench", name: "export")
        let run = directory.path + "/run"
        for attempt in 1...attempts {
            let turns = (0..<stepsPerAttempt).map { step in
                ScriptedModel.Turn.call("read_file", ["path": .string("src/f\(step % 5).py"), "start_line": .number(Double((step + attempt) % 50 + 1))], thought: "Step \(step).")
            }
            let recorder = try TrajectoryRecorder(path: "\(run)/trajectories/bench-\(attempt % 40).\(attempt).jsonl")
            let agent = Agent(
                model: ScriptedModel(turns: turns), context: ToolContext(worktree: sandbox.path, testSuite: nil, git: sandbox.git), sandbox: sandbox,
                settings: AgentSettings(budget: Budget(maxSteps: stepsPerAttempt + 2, maxSeconds: nil)), recorder: recorder)
            let outcome = await agent.run(
                AgentTask(instanceID: "bench-\(attempt % 40)", repositoryName: "bench", problemStatement: "Benchmark attempt \(attempt)."),
                header: ["run_id": "bench", "attempt": .number(Double(attempt))])
            recorder.record(["type": "result", "exit_status": .string(outcome.exitStatus.description), "resolved": .bool(attempt % 2 == 0), "patch": ""])
        }
        let paths = try TrajectoryLocator.trajectories(in: [run])
        let bytes = paths.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        let readStarted = Date()
        _ = try paths.map { try RecordedAttempt(path: $0) }
        var report = "\(attempts) attempts of \(stepsPerAttempt + 1) steps each, \(bytes / 1024) KiB of trajectories\n"
        report += String(format: "reading alone: %.0f trajectories/s\n", Double(attempts) / Date().timeIntervalSince(readStarted))
        for format in ExportFormat.allCases {
            let started = Date()
            let result = try Exporter(options: ExportOptions(format: format)).export(paths: [run])
            try ExportWriter.write(result, format: format, to: directory.path + "/out-\(format.rawValue)" + (format == .sweAgent ? "" : ".jsonl"), sidecar: format == .openai)
            let seconds = Date().timeIntervalSince(started)
            let produced = format == .sweAgent ? result.files.count : result.rows.count
            report += String(format: "%@: %.0f trajectories/s (%d read, %d %@ written, %.3f s)\n", format.rawValue, Double(attempts) / seconds, result.attemptsRead, produced, format == .dpo ? "pairs" : "rows", seconds)
        }
        return report
    }
}

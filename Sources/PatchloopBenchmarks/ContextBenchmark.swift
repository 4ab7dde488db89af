import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopHTTP
import PatchloopModels
import PatchloopTesting
import PatchloopTools
import PatchloopWorkspace

/// Measures what context management saves: total input tokens of scripted runs whose
/// every step reads a 20 KB file, with elision and compaction against a plain linear
/// history, and the share of input the Anthropic stand-in serves from its prompt cache.
public enum ContextBenchmark {
    public static func run(stepCounts: [Int] = [30, 150], window: Int = 200_000) async throws -> String {
        let directory = try TemporaryDirectory(prefix: "patchloop-context-bench")
        defer { directory.remove() }
        let files = Dictionary(uniqueKeysWithValues: (0..<10).map { file in
            ("src/module\(file).py", (1...400).map { "value_\(file)_\($0) = compute(\($0), factor=\(file))  # line \($0) of module \(file)\n" }.joined())
        })
        let repository = try await TestRepository.make(in: directory, files: files)
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(gitRepository: repository)
        var managed = ContextSettings.defaults(forModel: "anthropic:claude-sonnet-4-5")
        managed.window = window
        managed.summarizer = .digest

        var report = "every step reads a 20 KB file; managed = keep the last \(managed.keepObservations ?? 0) observations (batches of \(managed.elisionBatch)), compact at \(Int(managed.compactionThreshold * 100))% of a \(window)-token window\n"
        for steps in stepCounts {
            let turns = (0..<steps).map { index in
                ScriptedModel.Turn.call("read_file", ["path": .string("src/module\(index % 10).py"), "start_line": .number(Double(index % 3 + 1))])
            } + [.call("submit")]
            var totals: [String: (input: Int, cached: Int)] = [:]
            for (name, settings) in [("linear", ContextSettings.linear), ("managed", managed)] {
                let server = try FakeProviderServer(.anthropic, turns: turns)
                defer { server.stop() }
                let endpoint = ProviderEndpoint(baseURL: server.baseURL, apiKey: "bench", retry: .none)
                let model = AnthropicModel(identifier: "anthropic:stand-in", modelName: "stand-in", endpoint: endpoint, pricing: nil)
                let sandbox = try await manager.makeSandbox(from: base, group: "bench", name: "\(name)-\(steps)")
                let recorder = try TrajectoryRecorder(path: directory.path + "/\(name)-\(steps).jsonl")
                let agent = Agent(
                    model: model, context: ToolContext(worktree: sandbox.path, testSuite: nil, git: sandbox.git), sandbox: sandbox,
                    settings: AgentSettings(budget: Budget(maxSteps: steps + 5, maxSeconds: nil), context: settings), recorder: recorder)
                _ = await agent.run(AgentTask(instanceID: "bench", repositoryName: "bench", problemStatement: "Read the modules."))
                await manager.remove(sandbox)
                let log = server.usageLog
                totals[name] = (log.reduce(0) { $0 + $1.input }, log.reduce(0) { $0 + $1.cached })
            }
            let linear = totals["linear"] ?? (0, 0)
            let kept = totals["managed"] ?? (0, 0)
            let ratio = Double(kept.input) / Double(max(1, linear.input))
            report += String(
                format: "%4d steps: linear %d input tokens (%.0f%% cached), managed %d (%.0f%% cached): %.3f× the linear history\n",
                steps, linear.input, 100 * Double(linear.cached) / Double(max(1, linear.input)), kept.input,
                100 * Double(kept.cached) / Double(max(1, kept.input)), ratio)
        }
        return report
    }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopTasks
import PatchloopTesting
import Testing

@Suite("Resume with --retry-errors")
struct RetryErrorsTests {
    @Test("attempts that ended in model_error are redone on resume when asked, and counted once")
    func redoesErrors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try await EvaluationFixtures.tasks(2, in: directory)
        let tasks = try TaskStore.load(source)
        // The provider is unreachable: every attempt ends in model_error.
        var unreachable = ModelConfiguration(spec: try ModelSpec("openai-compatible:down"), baseURL: "http://127.0.0.1:9/v1", maxRetries: 0)
        unreachable.environment = [:]
        let broken = EvaluationFixtures.settings(
            directory, tasks: tasks, source: source, mode: .agent(unreachable, AgentSettings(budget: Budget(maxSteps: 5, maxSeconds: 60))))
        let first = try await EvaluationRunner(settings: broken, tasks: tasks, workers: 2).run()
        #expect(first.records.allSatisfy { $0.failure.category == "model_error" })

        // A plain resume keeps them; --retry-errors redoes them (here with a working model).
        var fixed = broken
        fixed.mode = try EvaluationFixtures.agent("scripted:gold")
        let kept = try await EvaluationRunner(settings: fixed, tasks: tasks, workers: 2, resume: true).run()
        #expect(kept.records.filter { $0.resolved }.isEmpty)
        let redone = try await EvaluationRunner(settings: fixed, tasks: tasks, workers: 2, resume: true, retryErrors: true).run()
        #expect(redone.records.count == 2)
        #expect(redone.records.allSatisfy { $0.resolved })
        #expect((try RunFileCoding.jsonValue(redone.summary))["resolved_instances"] == 2)
        #expect(try EvaluationFixtures.lines(directory.path + "/run/predictions.jsonl").count == 2)
    }
}

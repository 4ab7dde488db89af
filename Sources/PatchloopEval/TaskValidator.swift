import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopWorkspace

/// Proves a task is sound: its gold patch resolves it and the empty patch does not.
public struct TaskValidator: Sendable {
    public var runner: AttemptRunner

    public init(runner: AttemptRunner) {
        self.runner = runner
    }

    /// The verdict on one task.
    public struct Verdict: Sendable {
        public var instanceID: String
        public var gold: ScoreReport?
        public var empty: ScoreReport?
        /// What is wrong, in words; empty when the task is valid.
        public var problems: [String]
        public var duration: Double

        public var isValid: Bool { problems.isEmpty }

        public var json: JSONValue {
            [
                "instance_id": .string(instanceID), "valid": .bool(isValid), "problems": .array(problems.map { .string($0) }),
                "gold_resolved": gold.map { .bool($0.resolved) } ?? .null,
                "empty_resolved": empty.map { .bool($0.resolved) } ?? .null,
                "gold_report": (try? gold.map { try RunFileCoding.jsonValue($0.swebench) }) ?? .null,
                "empty_report": (try? empty.map { try RunFileCoding.jsonValue($0.swebench) }) ?? .null,
                "duration": .number(duration),
                "gold_test_seconds": gold.map { .number($0.testDuration) } ?? .null,
                "gold_preparation_seconds": gold.map { .number($0.preparationDuration) } ?? .null,
            ]
        }
    }

    public func validate(_ task: TaskInstance) async -> Verdict {
        let started = Date()
        var verdict = Verdict(instanceID: task.instanceID, gold: nil, empty: nil, problems: [], duration: 0)
        if task.goldPatch.isEmpty { verdict.problems.append("gold.patch is missing or empty") }
        do {
            let base = try await runner.base(for: task)
            let scorer = Scorer(
                sandboxes: runner.configuration.sandboxes, isolation: runner.configuration.isolation, hiding: [runner.configuration.outputDirectory],
                runID: runner.configuration.runID)
            let group = runner.configuration.runID
            if !task.goldPatch.isEmpty {
                let gold = try await scorer.score(task, patch: task.goldPatch, base: base, group: group, name: "\(task.instanceID)-gold")
                verdict.gold = gold
                if let failure = gold.infrastructureFailure { verdict.problems.append(failure) }
                if !gold.patchSuccessfullyApplied { verdict.problems.append("gold.patch does not apply to the base:\n\(gold.applyLog.suffix(1500))") }
                if !gold.resolved, gold.patchSuccessfullyApplied {
                    verdict.problems.append(
                        "the gold patch does not resolve the task: failing FAIL_TO_PASS \(gold.failToPass.failure), failing PASS_TO_PASS \(gold.passToPass.failure)"
                            + (gold.ungradedReason.map { " (\($0))" } ?? "") + "\n" + String(gold.testLog.suffix(1500)))
                }
            }
            let empty = try await scorer.score(task, patch: "", base: base, group: group, name: "\(task.instanceID)-empty")
            verdict.empty = empty
            if empty.resolved {
                verdict.problems.append("the empty patch resolves the task: FAIL_TO_PASS tests already pass without a fix")
            }
            if let failure = empty.infrastructureFailure, verdict.gold?.infrastructureFailure != failure {
                verdict.problems.append(failure)
            }
        } catch {
            verdict.problems.append(ErrorText.sentence(for: error))
        }
        if Task.isCancelled {
            // Interrupted: the cancelled git commands could not clean up, so clean up outside the cancellation.
            let runner = runner
            await runner.configuration.sandboxes.removeInterrupted(
                group: runner.configuration.runID, names: ["\(task.instanceID)-gold", "\(task.instanceID)-empty"],
                base: { try await runner.base(for: task) })
        }
        verdict.duration = Date().timeIntervalSince(started)
        return verdict
    }

    /// Validates every task with up to `workers` at a time, in task order. When the calling
    /// task is cancelled no task starts, and the verdicts of those under way (cut short) are
    /// left out: the result then holds only the tasks validated before.
    public func validate(_ tasks: [TaskInstance], workers: Int, onVerdict: @Sendable (Verdict) -> Void = { _ in }) async -> [Verdict] {
        await withTaskGroup(of: (Int, Verdict).self) { group in
            var results = [Verdict?](repeating: nil, count: tasks.count)
            var next = 0
            func startNext() {
                guard next < tasks.count, !Task.isCancelled else { return }
                let index = next
                let task = tasks[index]
                next += 1
                group.addTask { (index, await self.validate(task)) }
            }
            for _ in 0..<max(1, workers) { startNext() }
            while let (index, verdict) = await group.next() {
                if Task.isCancelled { continue }
                results[index] = verdict
                onVerdict(verdict)
                startNext()
            }
            return results.compactMap { $0 }
        }
    }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import Testing

@Suite("Failure categories and pass@k")
struct FailureCategoryTests {
    func report(applied: Bool = true, timedOut: Bool = false, f2p: ([String], [String]) = ([], ["t1"]), p2p: ([String], [String]) = (["p"], [])) -> ScoreReport {
        ScoreReport(
            instanceID: "x", patchIsNone: false, patchExists: true, patchSuccessfullyApplied: applied, resolved: false, resolution: .no,
            failToPass: f2p, passToPass: p2p, testsTimedOut: timedOut, testExitCode: 1, testDuration: 3, testLog: "",
            applyLog: "$ git apply\nerror: patch failed: a.py:3\nerror: a.py: patch does not apply\n", infrastructureFailure: nil)
    }

    @Test("each ending gets its category and the line that shows it")
    func categories() {
        var resolved = report(f2p: (["t1"], []))
        resolved.resolved = true
        #expect(FailureCategory.classify(exitStatus: .submitted, detail: "", patch: "d", score: resolved).category == "resolved")
        #expect(FailureCategory.classify(exitStatus: .submitted, detail: "", patch: "", score: report()).category == "empty_patch")
        let apply = FailureCategory.classify(exitStatus: nil, detail: "", patch: "d", score: report(applied: false))
        #expect(apply == FailureCategory(.patchApplyError, evidence: "error: a.py: patch does not apply"))
        #expect(FailureCategory.classify(exitStatus: nil, detail: "", patch: "d", score: report(timedOut: true)).category == "timeout")
        #expect(FailureCategory.classify(exitStatus: nil, detail: "", patch: "d", score: report(p2p: ([], ["p"]))).evidence == "PASS_TO_PASS failing: p")
        #expect(FailureCategory.classify(exitStatus: nil, detail: "", patch: "d", score: report()) == FailureCategory(.testFailure, evidence: "FAIL_TO_PASS failing: t1"))
        let budget = FailureCategory.classify(exitStatus: .budgetExhausted(.steps), detail: "50 steps used\nmore", patch: "d", score: report())
        #expect(budget == FailureCategory(.budgetExhausted(.steps), evidence: "50 steps used"))
        #expect(FailureCategory.classify(exitStatus: .stuck, detail: "", patch: "", score: nil) == FailureCategory(.stuck, evidence: "stuck"))
        #expect(FailureCategory.classify(exitStatus: .modelError, detail: "HTTP 500", patch: "", score: nil).category == "model_error")
        #expect(FailureCategory.classify(exitStatus: nil, detail: "", patch: nil, score: nil) == FailureCategory(.emptyPatch, evidence: "no prediction"))
    }

    @Test("every category reads back from its written name; a name no version writes is refused")
    func kindsRoundTrip() {
        let kinds: [FailureCategory.Kind] = [
            .resolved, .emptyPatch, .patchApplyError, .syntaxError, .testFailure, .regression, .timeout, .stuck, .formatErrors,
            .contextExhausted, .modelError, .infraError,
        ] + BudgetKind.allCases.map { .budgetExhausted($0) }
        for kind in kinds { #expect(FailureCategory.Kind(kind.description) == kind) }
        #expect(FailureCategory.Kind("budget_exhausted:luck") == nil)
        #expect(FailureCategory.Kind("Resolved") == nil)
        #expect(kinds.filter(\.isError) == [.modelError, .infraError])
    }
}

@Suite("Run summary")
struct RunSummaryTests {
    @Test("pass@k is the unbiased estimator over each instance's attempts; instances without attempts count as failures")
    func passAtK() throws {
        func record(_ id: String, _ attempt: Int, resolved: Bool) -> AttemptRecord {
            var score = ScoreReport(
                instanceID: id, patchIsNone: false, patchExists: true, patchSuccessfullyApplied: true, resolved: resolved,
                resolution: resolved ? .full : .no, failToPass: (resolved ? ["t"] : [], resolved ? [] : ["t"]), passToPass: ([], []),
                testsTimedOut: false, testExitCode: 0, testDuration: 1, testLog: "", applyLog: "", infrastructureFailure: nil)
            score.resolved = resolved
            return AttemptRecord(instanceID: id, attempt: attempt, model: "m", patch: "d", exitStatus: .submitted, detail: "", score: score, duration: 1, startedAt: .now)
        }
        let records = [record("a", 1, resolved: false), record("a", 2, resolved: true), record("b", 1, resolved: false), record("b", 2, resolved: false)]
        let summary = try RunFileCoding.jsonValue(RunSummary(instanceIDs: ["a", "b", "c"], attemptsPerInstance: 2, records: records, model: "m", budget: TotalBudget(), budgetExhausted: nil).document)
        #expect(summary["pass_at_k"]?["1"]?.doubleValue == 0.5 / 3)
        #expect(summary["pass_at_k"]?["2"]?.doubleValue == 1.0 / 3)
        // SWE-bench's keys judge each instance by its first attempt.
        #expect(summary["resolved_instances"] == 0 && summary["unresolved_ids"] == ["a", "b"] && summary["incomplete_ids"] == ["c"])
    }
}

import Foundation
import PatchloopCore
import PatchloopTasks
import PatchloopWorkspace

/// SWE-bench's resolution levels.
public enum Resolution: String, Sendable, Codable {
    case full = "RESOLVED_FULL"
    case partial = "RESOLVED_PARTIAL"
    case no = "RESOLVED_NO"
}

/// One graded attempt, in the shape of SWE-bench's per-instance `report.json` plus
/// what the run measured.
public struct ScoreReport: Sendable {
    public var instanceID: String
    public var patchIsNone: Bool
    public var patchExists: Bool
    public var patchSuccessfullyApplied: Bool
    public var resolved: Bool
    public var resolution: Resolution
    public var failToPass: (success: [String], failure: [String])
    public var passToPass: (success: [String], failure: [String])
    /// The test command hit its time limit.
    public var testsTimedOut: Bool
    public var testExitCode: Int32?
    public var testDuration: Double
    /// Seconds the fresh worktree's preparation took (the environment's install steps, then the task's setup).
    public var preparationDuration: Double = 0
    /// The test output (whole up to `OutputLimit.testLog`) and what patch application said.
    public var testLog: String
    /// Bytes the test command wrote in all; `testLogTruncated` when the middle was cut.
    public var testLogBytes = 0
    public var testLogTruncated = false
    /// Why the test run was not graded although it ran, as SWE-bench's `get_logs_eval`
    /// refuses to: it hit its time limit, or it exited non-zero while its log shows no
    /// failing test (the log then does not describe the run). Every test counts as failed.
    public var ungradedReason: String?
    public var applyLog: String
    /// A harness failure (the test patch did not apply, git failed…), when there was one.
    public var infrastructureFailure: String?
    /// Why the candidate patch was refused without being tried (it touches `.git`…).
    public var patchRefusal: String?

    public init(
        instanceID: String, patchIsNone: Bool, patchExists: Bool, patchSuccessfullyApplied: Bool, resolved: Bool, resolution: Resolution,
        failToPass: (success: [String], failure: [String]), passToPass: (success: [String], failure: [String]), testsTimedOut: Bool,
        testExitCode: Int32?, testDuration: Double, testLog: String, applyLog: String, infrastructureFailure: String?
    ) {
        self.instanceID = instanceID
        self.patchIsNone = patchIsNone
        self.patchExists = patchExists
        self.patchSuccessfullyApplied = patchSuccessfullyApplied
        self.resolved = resolved
        self.resolution = resolution
        self.failToPass = failToPass
        self.passToPass = passToPass
        self.testsTimedOut = testsTimedOut
        self.testExitCode = testExitCode
        self.testDuration = testDuration
        self.testLog = testLog
        self.applyLog = applyLog
        self.infrastructureFailure = infrastructureFailure
    }

    /// SWE-bench's report entry (the inner object of `report.json`). A run SWE-bench does not
    /// grade is reported as it reports one: not applied (its `found` flag is both).
    public var swebench: SWEbenchReport {
        SWEbenchReport(
            patchIsNone: patchIsNone, patchExists: patchExists, patchSuccessfullyApplied: patchSuccessfullyApplied && ungradedReason == nil,
            resolved: resolved,
            testsStatus: SWEbenchReport.TestsStatus(
                failToPass: SWEbenchReport.Outcome(success: failToPass.success, failure: failToPass.failure),
                passToPass: SWEbenchReport.Outcome(success: passToPass.success, failure: passToPass.failure)),
            infraFailureReason: infrastructureFailure, patchRefused: patchRefusal)
    }
}

extension ScoreReport {
    /// What `grading.json` beside a kept test log says of the run.
    struct GradingFacts: Encodable {
        var instanceID: String
        var exitCode: Int32?
        var timedOut: Bool
        var duration: Double
        var preparationDuration: Double
        var logBytes: Int
        var logTruncated: Bool
        var ungradedReason: String?
        var patchSuccessfullyApplied: Bool
        var infrastructureFailure: String?
        var resolved: Bool

        enum CodingKeys: String, CodingKey {
            case instanceID = "instance_id", exitCode = "exit_code", timedOut = "timed_out", duration
            case preparationDuration = "preparation_duration", logBytes = "log_bytes", logTruncated = "log_truncated"
            case ungradedReason = "ungraded_reason", patchSuccessfullyApplied = "patch_successfully_applied"
            case infrastructureFailure = "infra_failure_reason", resolved
        }
    }

    /// Keeps the graded run for a person and for regrading, as SWE-bench's harness keeps
    /// `test_output.txt` per instance: into `directory`, `test_output.txt` (the log as
    /// parsed), `apply_output.txt` (what patch application said) and `grading.json` (exit
    /// status, duration, bytes, whether the log was cut, why it was not graded).
    public func writeLogs(into directory: String) throws {
        try RunFileWriter.writeAtomically(testLog, to: directory + "/test_output.txt")
        try RunFileWriter.writeAtomically(applyLog, to: directory + "/apply_output.txt")
        let facts = GradingFacts(
            instanceID: instanceID, exitCode: testExitCode, timedOut: testsTimedOut, duration: testDuration,
            preparationDuration: preparationDuration, logBytes: testLogBytes, logTruncated: testLogTruncated, ungradedReason: ungradedReason,
            patchSuccessfullyApplied: patchSuccessfullyApplied, infrastructureFailure: infrastructureFailure, resolved: resolved)
        try RunFileWriter.writeAtomically(try RunFileCoding.encodePretty(facts) + "\n", to: directory + "/grading.json")
    }
}

/// Grades a candidate patch as SWE-bench does, without Docker unless the task's environment is an image: a fresh checkout at the
/// base commit, the candidate patch, the task's test files reset and `test.patch`
/// applied, the test command run (sandboxed), its log parsed, every FAIL_TO_PASS and
/// PASS_TO_PASS test checked.
///
/// A test passes if PASSED or XFAIL; FAILED, ERROR or missing from the log fails. A
/// skipped FAIL_TO_PASS test fails and a skipped PASS_TO_PASS test is kept (SWE-bench 5's
/// rule; version 4 let a patch that skips every FAIL_TO_PASS test resolve the task).
/// As SWE-bench's `get_logs_eval`, a run is not graded at all (every test fails) when it
/// hit its time limit, or exited non-zero while its log shows no failing test: a patch
/// can print passing lines of its own. The log is parsed whole (`OutputLimit.testLog`).
public struct Scorer: Sendable {
    public var sandboxes: SandboxManager
    public var isolation: CommandIsolation
    /// Folders the test commands must not see besides the task's own (the run directory).
    public var hiddenPaths: [String]
    /// The run whose containers a task with an image environment is graded in (their label).
    public var runID: String

    public init(sandboxes: SandboxManager, isolation: CommandIsolation, hiding hiddenPaths: [String] = [], runID: String = "patchloop") {
        self.runID = runID
        self.sandboxes = sandboxes
        self.isolation = isolation
        self.hiddenPaths = hiddenPaths
    }

    /// Grades `patch` (nil: no prediction at all) for `task`, in `Sandboxes/<group>/`.
    public func score(_ task: TaskInstance, patch: String?, base: BaseRepository, group: String, name: String) async throws -> ScoreReport {
        var report = ScoreReport(
            instanceID: task.instanceID, patchIsNone: patch == nil, patchExists: !(patch ?? "").isEmpty,
            patchSuccessfullyApplied: false, resolved: false, resolution: .no,
            failToPass: ([], task.failToPass), passToPass: ([], task.passToPass), testsTimedOut: false, testExitCode: nil,
            testDuration: 0, testLog: "", applyLog: "", infrastructureFailure: nil)
        let sandbox = try await sandboxes.makeCheckout(from: base, group: group, name: name)
        do {
            try await grade(task, patch: patch, in: sandbox, into: &report)
        } catch {
            await sandboxes.remove(sandbox)
            throw error
        }
        await sandboxes.remove(sandbox)
        return report
    }

    /// In a container (an image environment): a fresh one, started from the image's base
    /// state, receives the checkout's changes (candidate patch, then test patch, applied on
    /// the host as SWE-bench's harness applies them inside) and runs the eval command.
    private func grade(_ task: TaskInstance, patch: String?, in sandbox: Sandbox, into report: inout ScoreReport) async throws {
        let suite = try TaskTestSuite(task: task, isolation: isolation, hiding: hiddenPaths + [sandboxes.root], sandbox: sandbox, runID: runID)
        do {
            try await grade(task, patch: patch, in: sandbox, suite: suite, into: &report)
            await suite.finish()
        } catch {
            await suite.finish()
            throw error
        }
    }

    private func grade(_ task: TaskInstance, patch: String?, in sandbox: Sandbox, suite: TaskTestSuite, into report: inout ScoreReport) async throws {
        let preparation = try await WorktreePreparation(task: task, suite: suite).run(in: sandbox)
        report.preparationDuration = preparation.duration
        if let command = preparation.failedCommand, let failure = preparation.failure {
            report.infrastructureFailure = "setup command `\(command)` failed (\(failure.statusDescription)): \(failure.standardOutput.text.suffix(2000))"
            return
        }
        if let patch, !patch.isEmpty {
            let application = try await sandbox.apply(patch: patch, isolation: isolation)
            report.applyLog = application.log
            report.patchRefusal = application.refusal
            guard application.applied else { return }
            try await reinstall(task, in: sandbox, suite: suite, into: &report)
        }
        report.patchSuccessfullyApplied = true

        // The hidden tests are the task's, whatever the candidate did to those files.
        try await resetTestFiles(task.testPatch, in: sandbox)
        if !task.testPatch.isEmpty {
            let application = try await sandbox.apply(patch: task.testPatch, isolation: isolation)
            report.applyLog += application.log
            guard application.applied else {
                report.infrastructureFailure = "the task's test.patch does not apply: \(application.log.suffix(2000))"
                return
            }
        }

        let outcome = try await suite.execute(task.testCommand, in: sandbox.path)
        report.testsTimedOut = outcome.timedOut
        report.testExitCode = outcome.exitCode
        report.testDuration = outcome.duration
        report.testLog = outcome.standardOutput.text
        report.testLogBytes = outcome.standardOutput.totalBytes
        report.testLogTruncated = outcome.standardOutput.isTruncated
        if outcome.timedOut {
            report.ungradedReason = String(format: "the test command hit its %.0f s time limit; a run that timed out is not graded", suite.timeout)
            return
        }
        let statuses = suite.parser.parse(outcome.standardOutput.text)
        // Killed by a signal counts as a non-zero exit, as the shell's `$?` (128 + N) does for SWE-bench.
        if outcome.exitCode != 0, !statuses.isEmpty, !statuses.values.contains(where: { $0 == .failed || $0 == .error }) {
            let ending = outcome.exitCode.map { "exited \($0)" } ?? "was killed by a signal"
            report.ungradedReason = "the test command \(ending) while its log shows no failing test, so the log does not describe the run; it is not graded"
            return
        }
        report.failToPass = Scorer.grade(task.failToPass, statuses: statuses, skippedPasses: false)
        report.passToPass = Scorer.grade(task.passToPass, statuses: statuses, skippedPasses: true)
        report.resolution = Scorer.resolution(
            failToPass: report.failToPass, passToPass: report.passToPass, totals: (task.failToPass.count, task.passToPass.count))
        report.resolved = report.resolution == .full
    }

    /// Splits expected ids into success and failure by their status in the log.
    public static func grade(_ expected: [String], statuses: [String: TestStatus], skippedPasses: Bool) -> (success: [String], failure: [String]) {
        var success: [String] = []
        var failure: [String] = []
        for test in expected {
            switch statuses[test] {
            case .some(let status) where status.countsAsPassed: success.append(test)
            case .some(.skipped) where skippedPasses: success.append(test)
            default: failure.append(test)
            }
        }
        return (success, failure)
    }

    /// SWE-bench's `get_resolution_status`: FULL when every FAIL_TO_PASS and PASS_TO_PASS
    /// test passes, PARTIAL when some FAIL_TO_PASS pass and every PASS_TO_PASS does.
    public static func resolution(
        failToPass: (success: [String], failure: [String]), passToPass: (success: [String], failure: [String]), totals: (Int, Int)
    ) -> Resolution {
        let f2p = totals.0 == 0 ? 1 : Double(failToPass.success.count) / Double(totals.0)
        let p2p = totals.1 == 0 ? 1 : Double(passToPass.success.count) / Double(totals.1)
        if f2p == 1 && p2p == 1 { return .full }
        if f2p < 1 && f2p > 0 && p2p == 1 { return .partial }
        return .no
    }

    /// Runs the environment's install again after the candidate patch, as SWE-bench's eval
    /// script runs the spec's `install` between the patch and the test patch: a patch to
    /// compiled code or to the install's inputs is built before it is graded. A failing
    /// install is the patch's (the tests then run and show it, as SWE-bench's script, which
    /// does not stop on errors, runs them); its output goes into the apply log.
    private func reinstall(_ task: TaskInstance, in sandbox: Sandbox, suite: TaskTestSuite, into report: inout ScoreReport) async throws {
        for command in task.environmentActivation?.repeatedInstallCommands ?? [] {
            let outcome = try await suite.execute(command, in: sandbox.path, outputLimit: .default)
            report.preparationDuration += outcome.duration
            report.applyLog += "install after the patch (`\(command)`): \(outcome.statusDescription), \(String(format: "%.1f", outcome.duration)) s\n"
            guard outcome.succeeded else {
                report.applyLog += String(outcome.standardOutput.text.suffix(4000)) + "\n"
                return
            }
        }
    }

    /// Puts the files `testPatch` touches back to their base state (removing those the
    /// base does not have), as SWE-bench's eval script does before applying it.
    private func resetTestFiles(_ testPatch: String, in sandbox: Sandbox) async throws {
        let diff = UnifiedDiff.parse(testPatch)
        let paths = diff.touchedPaths
        guard !paths.isEmpty else { return }
        // A test patch that only adds files (the usual case for imported benchmarks) needs
        // no git: those files cannot be in the base, so whatever the candidate put there goes.
        if diff.files.allSatisfy({ $0.oldPath == nil }) {
            for path in paths { Scorer.removeConfined(path, in: sandbox.path) }
            return
        }
        let listed = try await sandbox.git.run(["ls-tree", "-r", "--name-only", "-z", sandbox.base.commit, "--"] + paths)
        let inBase = Set(listed.split(separator: "\0").map(String.init))
        let existing = paths.filter { inBase.contains($0) }
        if !existing.isEmpty {
            try await sandbox.git.run(["checkout", sandbox.base.commit, "--"] + existing)
        }
        for path in paths where !inBase.contains(path) {
            Scorer.removeConfined(path, in: sandbox.path)
        }
    }

    /// Removes `path` (relative to `root`) only when it lies inside `root`: the candidate
    /// may have made a folder on the way a symbolic link out of the tree.
    static func removeConfined(_ path: String, in root: String) {
        guard PatchPaths.problem(withPath: path) == nil else { return }
        let confinement = PathConfinement(root: root)
        let parent = (path as NSString).deletingLastPathComponent
        guard let resolvedParent = try? confinement.resolve(parent.isEmpty ? "." : parent) else { return }
        try? FileManager.default.removeItem(atPath: resolvedParent + "/" + (path as NSString).lastPathComponent)
    }
}

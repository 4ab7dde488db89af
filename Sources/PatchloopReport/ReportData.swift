import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels

// The one file of the report that knows `AttemptRecord` and the run directory's files:
// everything else works on `ReportRun` and `ReportAttempt`.

/// One run directory as the report shows it: what it is, its summary and its attempts.
struct ReportRun: Sendable {
    /// The run's id (`config.json`), or its folder's name.
    var label: String
    var path: String
    /// `eval` or `score`.
    var kind: String
    var model: String
    /// `summary.json`, or, for a run that has not written one yet, the same document computed from its results.
    var summary: JSONValue
    /// Every instance of the run (its shard's, when sharded), attempted or not.
    var instanceIDs: [String]
    var attemptsPerInstance: Int
    var attempts: [ReportAttempt]
}

/// One finished attempt as the report shows it.
struct ReportAttempt: Sendable {
    var instanceID: String
    var attempt: Int
    var model: String
    var resolved: Bool
    var graded: Bool
    /// SWE-bench's `RESOLVED_FULL` / `RESOLVED_PARTIAL` / `RESOLVED_NO`, when graded.
    var resolution: String?
    var category: String
    var evidence: String
    var exitStatus: String?
    var detail: String
    var steps: Int
    var usage: TokenUsage
    var cost: Double?
    var duration: Double
    var startedAt: Date
    /// Nil when there was no patch at all.
    var patch: String?
    /// SWE-bench's `tests_status` (FAIL_TO_PASS and PASS_TO_PASS, each `success` and `failure`), when graded.
    var testsStatus: JSONValue?
    /// The trajectory file, when one was found.
    var trajectoryPath: String?
}

extension ReportRun {
    /// Reads the run in `directory` (or in `directory/run`, where `flywheel` keeps it).
    ///
    /// The run's lock is held while its results are read, so a report is never made from
    /// a run that an `eval` or `score` process is still writing.
    static func load(_ directory: String) async throws -> ReportRun {
        var run = RunDirectory(directory)
        if !run.exists {
            let nested = RunDirectory(directory + "/run")
            guard nested.exists else {
                throw ReportError("\(directory) is not a run directory: it has no config.json (give runs/<run-id>, or the output folder of a flywheel)")
            }
            run = nested
        }
        let config = FileManager.default.contents(atPath: run.configPath).flatMap { try? JSONValue.parse($0) } ?? [:]
        // A directory nobody may write (a read-only copy) needs no lock: nothing writes it either.
        var lock: RunDirectoryLock?
        if access(run.path, W_OK) == 0 {
            do {
                lock = try await RunDirectoryLock.acquire(directory: run.path)
            } catch {
                let holder = RunDirectoryLock.holder(of: run.path + "/.lock").map { "process \($0)" } ?? "another process"
                throw ReportError("\(run.path) is in use by \(holder) (an eval or score still writing it): make the report once it has finished")
            }
        }
        defer { lock?.release() }

        let settings = try? EvaluationSettings.load(runDirectory: run.path)
        let (records, _) = try run.loadRecords()
        let attemptsPerInstance = settings?.attempts ?? config["attempts"]?.intValue ?? max(1, records.map(\.attempt).max() ?? 1)
        let instanceIDs = settings?.selectedInstanceIDs ?? Array(Set(records.map(\.instanceID))).sorted()
        let model = records.first?.model ?? config["model"]?["spec"]?.stringValue ?? config["predictions"]?.stringValue ?? "unknown"

        let summary: JSONValue
        if let data = FileManager.default.contents(atPath: run.summaryPath), let document = try? JSONValue.parse(data) {
            summary = document
        } else {
            summary = try RunFileCoding.jsonValue(
                RunSummary(
                    instanceIDs: instanceIDs, attemptsPerInstance: attemptsPerInstance, records: records, model: model,
                    budget: settings?.totalBudget ?? TotalBudget(), budgetExhausted: nil
                ).document)
        }
        let attempts = records.map { ReportAttempt($0, run: run, attemptsPerInstance: attemptsPerInstance) }
            .sorted { ($0.instanceID, $0.attempt) < ($1.instanceID, $1.attempt) }
        return ReportRun(
            label: config["run_id"]?.stringValue ?? (run.path as NSString).lastPathComponent, path: run.path,
            kind: config["kind"]?.stringValue ?? "eval", model: summary["model_name_or_path"]?.stringValue ?? model, summary: summary,
            instanceIDs: instanceIDs, attemptsPerInstance: attemptsPerInstance, attempts: attempts)
    }
}

extension ReportAttempt {
    init(_ record: AttemptRecord, run: RunDirectory, attemptsPerInstance: Int) {
        instanceID = record.instanceID
        attempt = record.attempt
        model = record.model
        resolved = record.resolved
        graded = record.graded
        resolution = record.resolution?.rawValue
        category = record.failure.category
        evidence = record.failure.evidence
        exitStatus = record.exitStatus?.description
        detail = record.detail
        steps = record.steps
        usage = record.usage
        cost = record.cost
        duration = record.duration
        startedAt = record.startedAt
        patch = record.patch
        testsStatus = record.report.flatMap { try? RunFileCoding.jsonValue($0.testsStatus) }
        trajectoryPath = ReportAttempt.trajectory(recorded: record.trajectoryPath, run: run, instanceID: record.instanceID,
            attempt: record.attempt, attemptsPerInstance: attemptsPerInstance)
    }

    /// The recorded trajectory path, or the same file in this run directory (a run copied or
    /// merged elsewhere keeps its files, not its absolute paths).
    static func trajectory(recorded: String?, run: RunDirectory, instanceID: String, attempt: Int, attemptsPerInstance: Int) -> String? {
        let fileManager = FileManager.default
        var candidates: [String] = []
        if let recorded {
            candidates.append(recorded)
            candidates.append(run.path + "/trajectories/" + (recorded as NSString).lastPathComponent)
        }
        candidates.append(run.path + "/trajectories/" + (attemptsPerInstance > 1 ? "\(instanceID).\(attempt).jsonl" : "\(instanceID).jsonl"))
        return candidates.first { fileManager.fileExists(atPath: $0) }
    }
}

/// A report that cannot be made; the message says what to fix.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels

/// One finished attempt: the one record every command writes and reads.
///
/// `eval` and `score` keep it as `results/<instance_id>[.<attempt>].json`, `run` as
/// `result.json`, the trajectory ends with it (its `result` event), `solve` embeds it in its
/// own result, and summaries, resumes, merges and exporters are computed from it.
///
/// The file has the shape of SWE-bench's per-instance `report.json` — one key, the
/// instance id, holding `patch_is_None`, `patch_exists`, `patch_successfully_applied`,
/// `resolved`, `tests_status` (`SWEbenchReport`) — with Patchloop's fields beside those:
/// `format_version`, `graded`, `resolution`, `attempt`, `model_name_or_path`, `model_patch`,
/// `exit_status`, `detail`, `steps`, `tokens`, `total_tokens`, `cost`, `duration`,
/// `started_at`, `finished_at`, `failure_category`, `failure_evidence`, `trajectory`,
/// `patch_file`, `sandbox`, and `test_log` (the folder keeping the graded test run) when graded.
public struct AttemptRecord: Sendable, Codable {
    /// The version this Patchloop writes. 1 (no `format_version` key) had the same keys but
    /// `patch_file` and `sandbox`; a file of a later version is refused, never rewritten.
    public static let formatVersion = 2

    public var instanceID: String
    public var attempt: Int
    public var model: String
    /// Nil when there was no patch at all (a prediction without `model_patch`).
    public var patch: String?
    /// How the agent's loop ended; nil for graded predictions (`score`).
    public var exitStatus: ExitStatus?
    public var detail: String
    /// SWE-bench's report entry; nil when the attempt was not graded.
    public var report: SWEbenchReport?
    public var resolution: Resolution?
    public var steps: Int
    public var usage: TokenUsage
    /// Nil when the model's price is unknown.
    public var cost: Double?
    public var duration: Double
    public var startedAt: Date
    public var finishedAt: Date
    public var failure: FailureCategory
    public var trajectoryPath: String?
    /// The patch as a file (`patches/<name>.patch`), when the command wrote one.
    public var patchPath: String?
    /// The worktree left for inspection (`--keep-sandbox`).
    public var sandboxPath: String?
    /// The folder keeping the graded test run (`logs/<name>/test_output.txt`, `grading.json`).
    public var testLogPath: String?

    public var graded: Bool { report != nil }
    public var resolved: Bool { report?.resolved ?? false }
    public var hasPatch: Bool { !(patch ?? "").isEmpty }

    public init(
        instanceID: String, attempt: Int, model: String, patch: String?, exitStatus: ExitStatus?, detail: String, score: ScoreReport?,
        steps: Int = 0, usage: TokenUsage = TokenUsage(), cost: Double? = nil, duration: Double, startedAt: Date, finishedAt: Date = Date(),
        trajectoryPath: String? = nil, patchPath: String? = nil, sandboxPath: String? = nil, testLogPath: String? = nil
    ) {
        self.instanceID = instanceID
        self.attempt = attempt
        self.model = model
        self.patch = patch
        self.exitStatus = exitStatus
        self.detail = detail
        self.report = score?.swebench
        self.resolution = score?.resolution
        self.steps = steps
        self.usage = usage
        self.cost = cost
        self.duration = duration
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.failure = FailureCategory.classify(exitStatus: exitStatus, detail: detail, patch: patch, score: score)
        self.trajectoryPath = trajectoryPath
        self.patchPath = patchPath
        self.sandboxPath = sandboxPath
        self.testLogPath = testLogPath
    }

    /// The attempt's name in a run's files (results, trajectories, patches, logs):
    /// `<instance_id>`, or `<instance_id>.<attempt>` when a run makes several attempts.
    public static func name(instanceID: String, attempt: Int, attempts: Int) -> String {
        attempts > 1 ? "\(instanceID).\(attempt)" : instanceID
    }

    /// The file's name: `<instance_id>.json`, or `<instance_id>.<attempt>.json` when a run makes several attempts.
    public static func fileName(instanceID: String, attempt: Int, attempts: Int) -> String {
        name(instanceID: instanceID, attempt: attempt, attempts: attempts) + ".json"
    }

    /// The prediction this attempt makes (SWE-bench's input format).
    public var prediction: Prediction { Prediction(instanceID: instanceID, model: model, patch: patch ?? "") }

    // MARK: - Coding

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", graded, resolution, attempt, model = "model_name_or_path", patch = "model_patch"
        case exitStatus = "exit_status", detail, steps, tokens, totalTokens = "total_tokens", cost, duration
        case startedAt = "started_at", finishedAt = "finished_at", failureCategory = "failure_category"
        case failureEvidence = "failure_evidence", trajectory, patchFile = "patch_file", sandbox, testLog = "test_log"
    }

    public func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: DynamicCodingKey.self)
        let entry = outer.superEncoder(forKey: DynamicCodingKey(instanceID))
        // SWE-bench's keys and Patchloop's share one object, as SWE-bench's tools expect.
        try (report ?? .ungraded(patch: patch)).encode(to: entry)
        var container = entry.container(keyedBy: CodingKeys.self)
        try container.encode(AttemptRecord.formatVersion, forKey: .formatVersion)
        try container.encode(graded, forKey: .graded)
        try container.encode(resolution, forKey: .resolution)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(model, forKey: .model)
        try container.encode(patch, forKey: .patch)
        try container.encode(exitStatus, forKey: .exitStatus)
        try container.encode(detail, forKey: .detail)
        try container.encode(steps, forKey: .steps)
        try container.encode(usage, forKey: .tokens)
        try container.encode(usage.totalTokens, forKey: .totalTokens)
        try container.encode(cost, forKey: .cost)
        try container.encode(duration, forKey: .duration)
        try container.encode(RunFileCoding.timestamp(startedAt), forKey: .startedAt)
        try container.encode(RunFileCoding.timestamp(finishedAt), forKey: .finishedAt)
        try container.encode(failure.category, forKey: .failureCategory)
        try container.encode(failure.evidence, forKey: .failureEvidence)
        try container.encode(trajectoryPath, forKey: .trajectory)
        try container.encode(patchPath, forKey: .patchFile)
        try container.encode(sandboxPath, forKey: .sandbox)
        try container.encodeIfPresent(testLogPath, forKey: .testLog)
    }

    public init(from decoder: any Decoder) throws {
        let outer = try decoder.container(keyedBy: DynamicCodingKey.self)
        guard outer.allKeys.count == 1, let key = outer.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "an attempt record holds one key, the instance id; this has \(outer.allKeys.count)"))
        }
        let entry = try outer.superDecoder(forKey: key)
        let container = try entry.container(keyedBy: CodingKeys.self)
        let version = try container.decodeIfPresent(Int.self, forKey: .formatVersion) ?? 1
        guard version <= AttemptRecord.formatVersion else {
            throw AttemptRecordFormatError(version: version)
        }
        func date(_ key: CodingKeys) throws -> Date {
            let text = try container.decode(String.self, forKey: key)
            guard let date = RunFileCoding.date(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "'\(text)' is not an ISO 8601 time")
            }
            return date
        }
        instanceID = key.stringValue
        attempt = try container.decode(Int.self, forKey: .attempt)
        model = try container.decode(String.self, forKey: .model)
        patch = try container.decodeIfPresent(String.self, forKey: .patch)
        // A status no version writes is kept as unknown rather than losing a paid attempt.
        exitStatus = try container.decodeIfPresent(String.self, forKey: .exitStatus).flatMap(ExitStatus.init)
        detail = try container.decodeIfPresent(String.self, forKey: .detail) ?? ""
        let graded = try container.decodeIfPresent(Bool.self, forKey: .graded) ?? true
        let report = try SWEbenchReport(from: entry)
        self.report = graded ? report : nil
        resolution = try container.decodeIfPresent(Resolution.self, forKey: .resolution)
        steps = try container.decodeIfPresent(Int.self, forKey: .steps) ?? 0
        usage = try container.decodeIfPresent(TokenUsage.self, forKey: .tokens) ?? TokenUsage()
        cost = try container.decodeIfPresent(Double.self, forKey: .cost)
        duration = try container.decode(Double.self, forKey: .duration)
        startedAt = try date(.startedAt)
        finishedAt = try date(.finishedAt)
        let category = try container.decode(String.self, forKey: .failureCategory)
        let evidence = try container.decodeIfPresent(String.self, forKey: .failureEvidence) ?? ""
        if let kind = FailureCategory.Kind(category) {
            failure = FailureCategory(kind, evidence: evidence)
        } else {
            // No version of Patchloop writes another name; the record is kept (a paid attempt), marked, not dropped.
            failure = FailureCategory(.infraError, evidence: "unknown failure category '\(category)' in the results file: \(evidence)")
        }
        trajectoryPath = try container.decodeIfPresent(String.self, forKey: .trajectory)
        patchPath = try container.decodeIfPresent(String.self, forKey: .patchFile)
        sandboxPath = try container.decodeIfPresent(String.self, forKey: .sandbox)
        testLogPath = try container.decodeIfPresent(String.self, forKey: .testLog)
    }

    /// The record a trajectory ends with: its `result` event's `record`. Trajectories
    /// written before the record existed (format 1) held the attempt's fields in the event
    /// itself; those are read into a record too (their failure category is recomputed
    /// without the test log, so it may be coarser). Nil when the event holds neither.
    public init?(resultEvent event: JSONValue) {
        if let record = event["record"] {
            guard let decoded = try? record.decode(as: AttemptRecord.self) else { return nil }
            self = decoded
            return
        }
        guard let instanceID = event["instance_id"]?.stringValue else { return nil }
        let status = (event["exit_status"] ?? event["agent_exit_status"])?.stringValue.flatMap(ExitStatus.init)
        let finished = event["timestamp"]?.stringValue.flatMap(RunFileCoding.date) ?? Date(timeIntervalSince1970: 0)
        let duration = event["duration"]?.doubleValue ?? 0
        self.init(
            instanceID: instanceID, attempt: event["attempt"]?.intValue ?? 1, model: event["model"]?.stringValue ?? "",
            patch: event["patch"]?.stringValue, exitStatus: status, detail: event["detail"]?.stringValue ?? "", score: nil,
            steps: event["steps"]?.intValue ?? 0, usage: (try? event["tokens"]?.decode(as: TokenUsage.self)) ?? TokenUsage(),
            cost: event["cost"]?.doubleValue, duration: duration, startedAt: finished.addingTimeInterval(-duration), finishedAt: finished,
            trajectoryPath: event["trajectory"]?.stringValue, patchPath: event["patch_file"]?.stringValue)
        if let report = event["report"], let decoded = try? report.decode(as: SWEbenchReport.self) {
            self.report = decoded
            if decoded.resolved { failure = FailureCategory(.resolved, evidence: "graded resolved") }
        }
    }

    /// The record as a file: indented JSON with sorted keys.
    public func fileText() throws -> String {
        try RunFileCoding.encodePretty(self) + "\n"
    }

    /// Reads a record file's bytes.
    public static func read(_ data: Data) throws -> AttemptRecord {
        try RunFileCoding.decode(AttemptRecord.self, from: data)
    }
}

/// A record written by a later Patchloop, whose format this one does not know.
public struct AttemptRecordFormatError: Error, CustomStringConvertible, Sendable {
    public var version: Int
    public var description: String {
        "the record is in format \(version), and this Patchloop reads formats up to \(AttemptRecord.formatVersion): use the Patchloop that wrote it, or a newer one"
    }
}

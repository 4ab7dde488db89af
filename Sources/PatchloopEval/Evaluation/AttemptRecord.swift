import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels

/// One finished attempt as the run directory keeps it: `results/<instance_id>[.<attempt>].json`.
///
/// The file has the shape of SWE-bench's per-instance `report.json` — one key, the
/// instance id, holding `patch_is_None`, `patch_exists`, `patch_successfully_applied`,
/// `resolved`, `tests_status` — with Patchloop's fields beside those: `attempt`,
/// `model_name_or_path`, `model_patch`, `exit_status`, `steps`, `tokens`, `cost`,
/// `duration`, `failure_category`, `failure_evidence`, … Summaries, resumes and merges are
/// computed from these files alone.
public struct AttemptRecord: Sendable {
    public var instanceID: String
    public var attempt: Int
    public var model: String
    /// Nil when there was no patch at all (a prediction without `model_patch`).
    public var patch: String?
    /// How the agent's loop ended; nil for graded predictions (`score`).
    public var exitStatus: ExitStatus?
    public var detail: String
    /// SWE-bench's report entry, when the attempt was graded.
    public var report: JSONValue?
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

    public var graded: Bool { report != nil }
    public var resolved: Bool { report?["resolved"]?.boolValue ?? false }
    public var hasPatch: Bool { !(patch ?? "").isEmpty }

    public init(
        instanceID: String, attempt: Int, model: String, patch: String?, exitStatus: ExitStatus?, detail: String, score: ScoreReport?,
        steps: Int = 0, usage: TokenUsage = TokenUsage(), cost: Double? = nil, duration: Double, startedAt: Date, finishedAt: Date = Date(),
        trajectoryPath: String? = nil
    ) {
        self.instanceID = instanceID
        self.attempt = attempt
        self.model = model
        self.patch = patch
        self.exitStatus = exitStatus
        self.detail = detail
        self.report = score.map(\.swebenchJSON)
        self.resolution = score?.resolution
        self.steps = steps
        self.usage = usage
        self.cost = cost
        self.duration = duration
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.failure = FailureCategory.classify(exitStatus: exitStatus, detail: detail, patch: patch, score: score)
        self.trajectoryPath = trajectoryPath
    }

    /// The file's name: `<instance_id>.json`, or `<instance_id>.<attempt>.json` when a run makes several attempts.
    public static func fileName(instanceID: String, attempt: Int, attempts: Int) -> String {
        attempts > 1 ? "\(instanceID).\(attempt).json" : "\(instanceID).json"
    }

    /// The prediction this attempt makes (SWE-bench's input format).
    public var prediction: Prediction { Prediction(instanceID: instanceID, model: model, patch: patch ?? "") }

    public var json: JSONValue {
        var entry = report?.objectValue ?? [
            "patch_is_None": .bool(patch == nil), "patch_exists": .bool(hasPatch), "patch_successfully_applied": false,
            "resolved": false,
            "tests_status": [
                "FAIL_TO_PASS": ["success": [], "failure": []], "PASS_TO_PASS": ["success": [], "failure": []],
                "FAIL_TO_FAIL": ["success": [], "failure": []], "PASS_TO_FAIL": ["success": [], "failure": []],
            ],
        ]
        entry["graded"] = .bool(graded)
        entry["resolution"] = resolution.map { .string($0.rawValue) } ?? .null
        entry["attempt"] = .number(Double(attempt))
        entry["model_name_or_path"] = .string(model)
        entry["model_patch"] = patch.map { .string($0) } ?? .null
        entry["exit_status"] = exitStatus.map { .string($0.description) } ?? .null
        entry["detail"] = .string(detail)
        entry["steps"] = .number(Double(steps))
        entry["tokens"] = usage.json
        entry["total_tokens"] = .number(Double(usage.totalTokens))
        entry["cost"] = cost.map { .number($0) } ?? .null
        entry["duration"] = .number(duration)
        entry["started_at"] = .string(AttemptRecord.timestamp(startedAt))
        entry["finished_at"] = .string(AttemptRecord.timestamp(finishedAt))
        entry["failure_category"] = .string(failure.category)
        entry["failure_evidence"] = .string(failure.evidence)
        entry["trajectory"] = trajectoryPath.map { .string($0) } ?? .null
        return .object([instanceID: .object(entry)])
    }

    /// Reads a results file back; nil when it is not a complete one (a crash's leftover).
    public init?(json document: JSONValue) {
        guard let object = document.objectValue, object.count == 1, let (instanceID, value) = object.first,
            let entry = value.objectValue, let attempt = entry["attempt"]?.intValue, let model = entry["model_name_or_path"]?.stringValue,
            let duration = entry["duration"]?.doubleValue, let category = entry["failure_category"]?.stringValue,
            let startedAt = entry["started_at"]?.stringValue.flatMap(AttemptRecord.date),
            let finishedAt = entry["finished_at"]?.stringValue.flatMap(AttemptRecord.date),
            entry["resolved"]?.boolValue != nil
        else { return nil }
        self.instanceID = instanceID
        self.attempt = attempt
        self.model = model
        self.patch = entry["model_patch"]?.stringValue
        self.exitStatus = entry["exit_status"]?.stringValue.flatMap(ExitStatus.init)
        self.detail = entry["detail"]?.stringValue ?? ""
        let graded = entry["graded"]?.boolValue ?? true
        var report = entry
        for key in ["graded", "resolution", "attempt", "model_name_or_path", "model_patch", "exit_status", "detail", "steps", "tokens",
            "total_tokens", "cost", "duration", "started_at", "finished_at", "failure_category", "failure_evidence", "trajectory"]
        {
            report[key] = nil
        }
        self.report = graded ? .object(report) : nil
        self.resolution = entry["resolution"]?.stringValue.flatMap(Resolution.init(rawValue:))
        self.steps = entry["steps"]?.intValue ?? 0
        self.usage = (try? entry["tokens"]?.decode(as: TokenUsage.self)) ?? TokenUsage()
        self.cost = entry["cost"]?.doubleValue
        self.duration = duration
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        let evidence = entry["failure_evidence"]?.stringValue ?? ""
        if let kind = FailureCategory.Kind(category) {
            self.failure = FailureCategory(kind, evidence: evidence)
        } else {
            // No version of Patchloop writes another name; the record is kept (a paid attempt), marked, not dropped.
            self.failure = FailureCategory(.infraError, evidence: "unknown failure category '\(category)' in the results file: \(evidence)")
        }
        self.trajectoryPath = entry["trajectory"]?.stringValue
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

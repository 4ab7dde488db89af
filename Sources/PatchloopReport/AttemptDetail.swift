import Foundation
import PatchloopAgent
import PatchloopCore

/// What the trajectory view of one attempt shows, as the JSON the page reads: the task
/// statement, the trajectory's steps (with compactions and model errors where they
/// happened), the final patch and the hidden tests' verdicts.
///
/// The step events are kept as the trajectory recorded them (`step`, `compaction`,
/// `model_error`; see `Agent`), without what the page never shows: the header's tool
/// schemas, system prompt and task files, and each step's running totals.
enum AttemptDetail {
    static func json(for attempt: ReportAttempt) -> JSONValue {
        var detail: [String: JSONValue] = [
            "patch": attempt.patch.map { .string($0) } ?? .null,
            "tests": attempt.testsStatus ?? .null,
            "resolution": attempt.resolution.map { .string($0) } ?? .null,
            "detail": .string(attempt.detail),
        ]
        guard let path = attempt.trajectoryPath else {
            detail["trajectory_note"] = "no trajectory was recorded (a graded prediction, or its file is gone)"
            return .object(detail)
        }
        let file: TrajectoryFile
        do {
            file = try TrajectoryFile(path: path)
        } catch {
            detail["trajectory_note"] = .string("the trajectory could not be read: \(error)")
            return .object(detail)
        }
        detail["trajectory"] = .string(path)
        if let header = file.header {
            detail["statement"] = statement(in: header).map { .string($0) } ?? .null
            var shown: [String: JSONValue] = [:]
            for key in ["model", "timestamp", "repo", "base_commit", "patchloop_version", "format_version"] {
                if let value = header[key] { shown[key] = value }
            }
            shown["budget"] = header["settings"]?["budget"]
            detail["header"] = .object(shown)
        }
        var events: [JSONValue] = []
        for event in file.events {
            switch event["type"]?.stringValue {
            case "step":
                guard var step = event.objectValue else { continue }
                step["total_usage"] = nil
                step["timestamp"] = nil
                events.append(.object(step))
            case "compaction", "model_error":
                events.append(event)
            default:
                continue
            }
        }
        detail["events"] = .array(events)
        if !file.unreadableLines.isEmpty {
            detail["unreadable_lines"] = .array(file.unreadableLines.map { .number(Double($0)) })
        }
        if file.result == nil {
            detail["trajectory_note"] = "the trajectory has no result line: the attempt was cut short"
        }
        return .object(detail)
    }

    /// The task statement: the task's `problem_statement` when the header carries the task,
    /// else the first user message (the instance prompt the model was given).
    static func statement(in header: JSONValue) -> String? {
        if let text = header["task"]?["problem_statement"]?.stringValue { return text }
        return header["messages"]?.arrayValue?.first { $0["role"]?.stringValue == "user" }?["content"]?.stringValue
    }
}

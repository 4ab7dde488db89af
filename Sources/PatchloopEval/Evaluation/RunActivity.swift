import Foundation
import PatchloopAgent
import PatchloopCore

/// What the attempts of a run did, read from their trajectories: tool calls by kind,
/// replies without a valid call, model errors, how tool calls were obtained, and the time
/// spent waiting for a model slot. For the closing lines of `eval`.
public struct RunActivity: Sendable, Equatable {
    public var steps = 0
    /// Tool calls by tool name (an unknown name counts under its own name).
    public var callsByTool: [String: Int] = [:]
    /// Replies that made no tool call, or only malformed ones.
    public var repliesWithoutValidCall = 0
    /// `model_error` events (a request that failed for good, or was retried after a compaction).
    public var modelErrors = 0
    /// Steps by the mode that produced their tool call (`native`, `text`, `constrained:…`).
    public var toolModes: [String: Int] = [:]
    /// Seconds the steps waited for a free slot of the model's endpoint.
    public var slotWait: Double = 0
    /// `run_tests` calls that ran the tests (a result with pass and fail counts), and those where all passed.
    public var testRuns = 0
    public var testRunsAllPassed = 0
    /// `edit` calls that changed a file, and those refused (no match, a bad path, …).
    public var editsMade = 0
    public var editsRefused = 0
    /// Attempts (trajectories) with at least one edit that changed a file.
    public var attemptsThatEdited = 0

    public init() {}

    /// Tallies every trajectory in `directory` (a run directory's `trajectories/`).
    public init(trajectoriesIn directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() where name.hasSuffix(".jsonl") {
            guard let file = try? TrajectoryFile(path: directory + "/" + name) else { continue }
            add(file)
        }
    }

    mutating func add(_ file: TrajectoryFile) {
        let editsBefore = editsMade
        defer { if editsMade > editsBefore { attemptsThatEdited += 1 } }
        for event in file.events {
            switch event["type"]?.stringValue {
            case "step":
                steps += 1
                toolModes[event["tool_mode"]?.stringValue ?? "native", default: 0] += 1
                slotWait += event["slot_wait"]?.doubleValue ?? 0
                let calls = event["assistant"]?["tool_calls"]?.arrayValue ?? []
                for call in calls { callsByTool[call["function"]?["name"]?.stringValue ?? "?", default: 0] += 1 }
                let observations = event["observations"]?.arrayValue ?? []
                let malformed = observations.filter { $0["facts"]?["format_error"]?.boolValue == true }.count
                if calls.isEmpty || malformed == observations.count { repliesWithoutValidCall += 1 }
                for observation in observations {
                    let facts = observation["facts"]
                    switch observation["name"]?.stringValue {
                    case "run_tests" where facts?["passed"] != nil:
                        testRuns += 1
                        if facts?["failed"]?.doubleValue == 0 && (facts?["passed"]?.doubleValue ?? 0) > 0 { testRunsAllPassed += 1 }
                    case "edit":
                        if facts?["files_touched"] != nil { editsMade += 1 } else if facts?["format_error"] == nil { editsRefused += 1 }
                    default:
                        break
                    }
                }
            case "model_error":
                modelErrors += 1
            default:
                break
            }
        }
    }

    /// `tests run 4 (1 with every test passing) · edits made 2 (3 refused) in 2 attempts`
    public var workLine: String {
        "tests run \(testRuns) (\(testRunsAllPassed) with every test passing) · edits made \(editsMade) (\(editsRefused) refused) in \(attemptsThatEdited) attempt\(attemptsThatEdited == 1 ? "" : "s")"
    }

    /// `tool calls: read_file 12 · search 3 · edit 2 · run_tests 4 · submit 1 · replies without a valid call 0 · model errors 0`
    public var line: String {
        let known = ["read_file", "search", "edit", "run_tests", "submit"]
        let others = callsByTool.keys.filter { !known.contains($0) }.sorted()
        var parts = (known + others).map { "\($0) \(callsByTool[$0] ?? 0)" }
        parts.append("replies without a valid call \(repliesWithoutValidCall)")
        parts.append("model errors \(modelErrors)")
        var line = "\(steps) steps · tool calls: " + parts.joined(separator: " · ")
        if !toolModes.isEmpty {
            line += " · modes: " + toolModes.keys.sorted().map { "\($0) \(toolModes[$0] ?? 0)" }.joined(separator: ", ")
        }
        if slotWait >= 1 { line += String(format: " · %.0f s waiting for a model slot", slotWait) }
        return line
    }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels

/// Renders a trajectory for a person reading it in a terminal.
public struct TrajectoryRenderer: Sendable {
    /// Longest observation or argument text shown before it is shortened (0: never).
    public var maximumCharacters: Int

    public init(maximumCharacters: Int = 1200) {
        self.maximumCharacters = maximumCharacters
    }

    public func render(_ file: TrajectoryFile) -> String {
        var out = ""
        if let header = file.header {
            out += "Trajectory · \(header["instance_id"]?.stringValue ?? "?") · model \(header["model"]?.stringValue ?? "?")"
            out += " · format v\(header["format_version"]?.intValue ?? 0) · patchloop \(header["patchloop_version"]?.stringValue ?? "?")\n"
            if let run = header["run_id"]?.stringValue { out += "run \(run)" }
            if let started = header["timestamp"]?.stringValue { out += " · started \(started)" }
            out += "\n"
            if let budget = header["settings"]?["budget"] {
                let parts = ["max_steps", "max_seconds", "max_tokens", "max_cost"].compactMap { key -> String? in
                    guard let value = budget[key], !value.isNull else { return nil }
                    return "\(key)=\(JSONValue.formatNumber(value.doubleValue ?? 0))"
                }
                out += "budget: \(parts.isEmpty ? "none" : parts.joined(separator: ", "))\n"
            }
            if let messages = header["messages"]?.arrayValue {
                for message in messages where message["role"]?.stringValue == "user" {
                    out += "\n── task ──\n" + shorten(message["content"]?.stringValue ?? "") + "\n"
                }
            }
        } else {
            out += "(no header line)\n"
        }
        for step in file.steps {
            let number = step["step"]?.intValue ?? 0
            let usage = step["usage"]
            out += "\n── step \(number) ── \(usage?["input_tokens"]?.intValue ?? 0) in / \(usage?["output_tokens"]?.intValue ?? 0) out tokens"
            if let latency = step["model_latency"]?.doubleValue { out += String(format: " · model %.2f s", latency) }
            out += "\n"
            if let text = step["assistant"]?["content"]?.stringValue, !text.isEmpty {
                out += "assistant: " + shorten(text) + "\n"
            }
            let calls = step["assistant"]?["tool_calls"]?.arrayValue ?? []
            let observations = step["observations"]?.arrayValue ?? []
            for call in calls {
                let id = call["id"]?.stringValue
                let name = call["function"]?["name"]?.stringValue ?? "?"
                let arguments = call["function"]?["arguments"]?.stringValue ?? ""
                out += "→ \(name)(\(shorten(arguments, limit: 300)))\n"
                if let observation = observations.first(where: { $0["tool_call_id"]?.stringValue == id }) {
                    let marker = observation["is_error"]?.boolValue == true ? "✘" : "←"
                    let output = observation["output"]?.stringValue ?? ""
                    out += indent(marker + " " + shorten(output)) + "\n"
                }
            }
            if let feedback = step["feedback"]?.stringValue {
                out += "✘ " + shorten(feedback) + "\n"
            }
        }
        if let result = file.result.flatMap(AttemptRecord.init(resultEvent:)) {
            out += "\n── result ──\n"
            out += "exit status: \(result.exitStatus?.description ?? "?")"
            if !result.detail.isEmpty { out += " (\(result.detail))" }
            out += "\n"
            if result.graded { out += "resolved: \(result.resolved ? "yes" : "no")\n" }
            out += "category: \(result.failure.category) — \(result.failure.evidence)\n"
            out += "steps: \(result.steps) · tokens: \(result.usage.totalTokens)"
            if let cost = result.cost { out += String(format: " · cost: $%.4f", cost) }
            out += String(format: " · %.1f s", result.duration)
            out += "\n"
            if let patch = result.patch {
                out += patch.isEmpty ? "patch: (empty)\n" : "patch:\n" + shorten(patch, limit: maximumCharacters * 4) + "\n"
            }
        } else {
            out += "\n(no result line: the run did not finish — killed or still running; \(file.steps.count) steps recorded)\n"
        }
        if !file.unreadableLines.isEmpty {
            out += "(unreadable lines, e.g. cut off by a crash: \(file.unreadableLines.map(String.init).joined(separator: ", ")))\n"
        }
        return out
    }

    private func shorten(_ text: String, limit: Int? = nil) -> String {
        let limit = limit ?? maximumCharacters
        guard limit > 0, text.count > limit else { return text }
        return String(text.prefix(limit * 2 / 3)) + "\n[… \(text.count - limit) characters …]\n" + String(text.suffix(limit / 3))
    }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
}

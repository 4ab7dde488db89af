import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopEval
import PatchloopModels
import PatchloopWorkspace

/// One attempt read back from its trajectory: the whole conversation as the model saw
/// it step by step, the tools it was offered, and where it came from (run, task,
/// attempt, the scorer's verdict).
public struct RecordedAttempt: Sendable {
    public var path: String
    public var runID: String
    public var instanceID: String
    public var attempt: Int
    public var model: String
    public var tools: [JSONValue]
    /// System, instance prompt, then per step: the assistant message, one tool message per
    /// call, and the feedback sent after a reply without a call.
    public var messages: [ChatMessage]
    /// Per assistant message (by index in `messages`): whether every call it made failed.
    public var failedAssistantTurns: Set<Int>
    public var exitStatus: ExitStatus?
    /// The scorer's verdict; nil when the attempt was not scored (never the model's claim).
    public var resolved: Bool?
    /// The attempt's record, from the trajectory's last line; nil when the run did not finish.
    public var record: AttemptRecord?
    public var patch: String
    public var usage: TokenUsage
    public var cost: Double?
    /// Per step: the observations' `is_error`, used by SWE-agent's format.
    public var steps: [JSONValue]

    /// Reads an attempt; throws when the file is not a Patchloop trajectory.
    public init(path: String) throws {
        let file = try TrajectoryFile(path: path)
        guard let header = file.header else {
            throw ExportError("\(path) has no header line: it is not a Patchloop trajectory")
        }
        self.path = path
        runID = header["run_id"]?.stringValue ?? ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        instanceID = header["instance_id"]?.stringValue ?? ""
        attempt = header["attempt"]?.intValue ?? 1
        model = header["model"]?.stringValue ?? ""
        tools = header["tools"]?.arrayValue ?? []
        steps = file.steps
        var messages = try (header["messages"]?.arrayValue ?? []).map { try ChatMessage(json: $0) }
        var failed = Set<Int>()
        for step in file.steps {
            guard let assistant = step["assistant"] else { continue }
            let message = try ChatMessage(json: assistant)
            let observations = step["observations"]?.arrayValue ?? []
            if message.toolCalls.isEmpty || (!observations.isEmpty && observations.allSatisfy { $0["is_error"]?.boolValue == true }) {
                failed.insert(messages.count)
            }
            messages.append(message)
            for call in message.toolCalls {
                let output = observations.first { $0["tool_call_id"]?.stringValue == call.id }?["output"]?.stringValue
                messages.append(.tool(output ?? "(no result was recorded)", callID: call.id, name: call.name))
            }
            if let feedback = step["feedback"]?.stringValue {
                messages.append(.user(feedback))
            }
        }
        self.messages = messages
        failedAssistantTurns = failed
        let record = file.result.flatMap(AttemptRecord.init(resultEvent:))
        self.record = record
        exitStatus = record?.exitStatus
        resolved = record.flatMap { $0.graded ? $0.resolved : nil }
        patch = record?.patch ?? ""
        usage = record?.usage ?? TokenUsage()
        cost = record?.cost
    }

    /// Where the row came from: run, task, attempt, model and the scorer's verdict.
    public var provenance: JSONValue {
        [
            "run_id": .string(runID), "instance_id": .string(instanceID), "attempt": .number(Double(attempt)), "model": .string(model),
            "exit_status": exitStatus.map { .string($0.description) } ?? .null, "resolved": resolved.map { .bool($0) } ?? .null,
            "trajectory": .string(path),
        ]
    }

    /// Problems that make the conversation unusable as training data.
    public func consistencyProblems() -> [String] {
        var problems: [String] = []
        var pending: [String: Int] = [:]
        var seen = Set<String>()
        for (index, message) in messages.enumerated() {
            switch message.role {
            case .assistant:
                if !pending.isEmpty { problems.append("tool calls \(pending.keys.sorted()) have no result before message \(index)") }
                pending = [:]
                for call in message.toolCalls {
                    if !seen.insert(call.id).inserted { problems.append("tool call id \(call.id) is used twice") }
                    pending[call.id] = index
                }
            case .tool:
                guard let id = message.toolCallID, pending.removeValue(forKey: id) != nil else {
                    problems.append("message \(index) answers a tool call that is not pending")
                    continue
                }
            default:
                break
            }
        }
        if !pending.isEmpty { problems.append("tool calls \(pending.keys.sorted()) have no result") }
        if !messages.contains(where: { $0.role == .assistant }) { problems.append("no assistant message") }
        return problems
    }
}

/// An export that cannot be made; the message says what to fix.
public struct ExportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Finds trajectories: a run directory's `trajectories/*.jsonl` (searched recursively,
/// so a directory of runs works too), or a trajectory file itself.
public enum TrajectoryLocator {
    public static func trajectories(in paths: [String]) throws -> [String] {
        var found: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ExportError("\(path) does not exist: give a run directory (runs/<run-id>) or a trajectory file")
            }
            if !isDirectory.boolValue {
                found.append(path)
                continue
            }
            let enumerator = FileManager.default.enumerator(atPath: path)
            var inThis: [String] = []
            while let relative = enumerator?.nextObject() as? String {
                if relative.hasSuffix(".jsonl"), (relative as NSString).deletingLastPathComponent.hasSuffix("trajectories") {
                    inThis.append(path + "/" + relative)
                }
            }
            if inThis.isEmpty { throw ExportError("\(path) holds no trajectories (expected trajectories/*.jsonl inside it)") }
            found += inThis.sorted()
        }
        return found
    }
}

import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopWorkspace

/// The fine-tuning formats `patchloop export` writes.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// OpenAI chat fine-tuning JSONL (tool-call arguments as JSON strings).
    case openai
    /// Hugging Face TRL conversational rows (tool-call arguments as objects).
    case trl
    /// LLaMA-Factory's ShareGPT (`conversations` of human / gpt / function_call / observation).
    case sharegpt
    /// Preference pairs from a resolved and an unresolved attempt at the same task.
    case dpo
    /// SWE-agent `.traj` files, one per attempt, in a directory.
    case sweAgent = "swe-agent"
}

/// Which assistant messages an OpenAI row trains on (`weight`).
public enum TrainingTarget: String, Sendable, CaseIterable {
    /// Every assistant message (no weights written).
    case all
    /// Assistant messages whose tool calls worked; failed calls and replies without a call get weight 0.
    case successful
    /// Only the last assistant message.
    case final
}

/// How an export selects, shapes and records its rows.
public struct ExportOptions: Sendable {
    public var format: ExportFormat
    /// Keep only attempts the scorer marked resolved (never the model's own claim).
    public var resolvedOnly: Bool
    /// Skip rows whose conversation is estimated above this many tokens.
    public var maxTokens: Int?
    /// Task ids to leave out (evaluation tasks kept out of training data).
    public var excludedTasks: Set<String>
    public var trainOn: TrainingTarget
    /// The DPO shape: OpenAI's preference format or TRL's prompt/chosen/rejected.
    public var dpoFormat: DPOFormat
    /// Put provenance inside OpenAI rows as `metadata` (otherwise it goes to a sidecar file).
    public var inlineMetadata: Bool

    public enum DPOFormat: String, Sendable, CaseIterable { case openai, trl }

    public init(
        format: ExportFormat, resolvedOnly: Bool = false, maxTokens: Int? = nil, excludedTasks: Set<String> = [], trainOn: TrainingTarget = .all,
        dpoFormat: DPOFormat = .openai, inlineMetadata: Bool = false
    ) {
        self.format = format
        self.resolvedOnly = resolvedOnly
        self.maxTokens = maxTokens
        self.excludedTasks = excludedTasks
        self.trainOn = trainOn
        self.dpoFormat = dpoFormat
        self.inlineMetadata = inlineMetadata
    }
}

/// What an export produced: the rows (with their provenance) and what it left out, and why.
public struct ExportResult: Sendable {
    public var rows: [JSONValue] = []
    /// Provenance per row, line-aligned with `rows` (the OpenAI sidecar).
    public var provenance: [JSONValue] = []
    /// SWE-agent files: relative path → document.
    public var files: [(path: String, document: JSONValue)] = []
    public var skipped: [String: Int] = [:]
    public var attemptsRead = 0
    /// Trajectory files left out because they could not be read (empty, torn, not a
    /// trajectory), one sentence each, naming the file.
    public var warnings: [String] = []

    mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }
}

/// Turns recorded attempts into training rows.
public struct Exporter: Sendable {
    public var options: ExportOptions

    public init(options: ExportOptions) {
        self.options = options
    }

    /// Exports the trajectories at `paths` (run directories or files). A trajectory that
    /// cannot be read is left out with a warning rather than failing the whole export
    /// (one killed attempt should not cost the rest); it fails only when none can be read.
    public func export(paths: [String]) throws -> ExportResult {
        var attempts: [RecordedAttempt] = []
        var warnings: [String] = []
        for path in try TrajectoryLocator.trajectories(in: paths) {
            do {
                attempts.append(try RecordedAttempt(path: path))
            } catch {
                let reason = ErrorText.sentence(for: error)
                warnings.append(reason.contains(path) ? reason : "\(path): \(reason)")
            }
        }
        if attempts.isEmpty, let first = warnings.first {
            throw ExportError("no trajectory could be read (\(warnings.count) tried); the first: \(first)")
        }
        var result = export(attempts)
        result.warnings = warnings
        for _ in warnings { result.skip("unreadable trajectory") }
        return result
    }

    public func export(_ attempts: [RecordedAttempt]) -> ExportResult {
        var result = ExportResult()
        result.attemptsRead = attempts.count
        var kept: [RecordedAttempt] = []
        var seen = Set<Int>()
        for attempt in attempts {
            if options.excludedTasks.contains(attempt.instanceID) { result.skip("excluded task"); continue }
            if !attempt.consistencyProblems().isEmpty { result.skip("inconsistent conversation"); continue }
            if options.format != .dpo {
                if options.resolvedOnly && attempt.resolved != true { result.skip("not resolved by the scorer"); continue }
                if let limit = options.maxTokens, Exporter.estimate(attempt.messages) > limit { result.skip("over --max-tokens"); continue }
                // Identical conversations (the same attempt exported twice, or a deterministic rerun) are kept once.
                var hasher = Hasher()
                for message in attempt.messages { hasher.combine(message) }
                if !seen.insert(hasher.finalize()).inserted { result.skip("duplicate conversation"); continue }
            }
            kept.append(attempt)
        }
        switch options.format {
        case .openai:
            for attempt in kept {
                var row = openAIRow(attempt)
                if options.inlineMetadata, case .object(var object) = row {
                    object["metadata"] = attempt.provenance
                    row = .object(object)
                }
                result.rows.append(row)
                result.provenance.append(attempt.provenance)
            }
        case .trl:
            for attempt in kept { result.rows.append(trlRow(attempt)); result.provenance.append(attempt.provenance) }
        case .sharegpt:
            for attempt in kept { result.rows.append(shareGPTRow(attempt)); result.provenance.append(attempt.provenance) }
        case .dpo:
            for (row, provenance) in preferencePairs(kept) {
                if let limit = options.maxTokens, TokenEstimator.estimate(row.encoded()) > limit { result.skip("over --max-tokens"); continue }
                result.rows.append(row)
                result.provenance.append(provenance)
            }
        case .sweAgent:
            for attempt in kept {
                // Named like the trajectory (`<id>` or `<id>.<attempt>`), so attempts never collide.
                let name = ((attempt.path as NSString).lastPathComponent as NSString).deletingPathExtension
                result.files.append(("\(name)/\(name).traj", sweAgentTrajectory(attempt)))
                result.provenance.append(attempt.provenance)
            }
        }
        // Trajectories are redacted as they are written; this is the second line of defence.
        let redactor = Redactor.shared
        do {
            result.rows = result.rows.map { redactor.redact($0) }
            result.files = result.files.map { ($0.path, redactor.redact($0.document)) }
        }
        return result
    }

    static func estimate(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { total, message in
            total + 4 + TokenEstimator.estimate(message.content) + message.toolCalls.reduce(0) { $0 + TokenEstimator.estimate($1.arguments) + 8 }
        }
    }

    // MARK: - OpenAI

    func openAIMessages(_ attempt: RecordedAttempt, weights: Bool) -> [JSONValue] {
        let lastAssistant = attempt.messages.lastIndex { $0.role == .assistant }
        return attempt.messages.enumerated().map { index, message in
            var object: [String: JSONValue] = ["role": .string(message.role.rawValue)]
            switch message.role {
            case .assistant:
                object["content"] = message.content.isEmpty && !message.toolCalls.isEmpty ? .null : .string(message.content)
                if !message.toolCalls.isEmpty { object["tool_calls"] = .array(message.toolCalls.map(\.json)) }
                if weights {
                    switch options.trainOn {
                    case .all: break
                    case .successful: object["weight"] = attempt.failedAssistantTurns.contains(index) ? 0 : 1
                    case .final: object["weight"] = index == lastAssistant ? 1 : 0
                    }
                }
            case .tool:
                object["content"] = .string(message.content)
                object["tool_call_id"] = .string(message.toolCallID ?? "")
            default:
                object["content"] = .string(message.content)
            }
            return .object(object)
        }
    }

    func openAIRow(_ attempt: RecordedAttempt) -> JSONValue {
        ["messages": .array(openAIMessages(attempt, weights: true)), "tools": .array(attempt.tools), "parallel_tool_calls": false]
    }

    // MARK: - TRL

    static func trlMessage(_ message: ChatMessage) -> JSONValue {
        var object: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": .string(message.content)]
        if !message.toolCalls.isEmpty {
            object["tool_calls"] = .array(
                message.toolCalls.map { call in
                    let arguments = (try? JSONValue.parse(call.arguments)).flatMap { $0.objectValue != nil ? $0 : nil } ?? ["_unparsed": .string(call.arguments)]
                    return ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": arguments]]
                })
        }
        if message.role == .tool {
            object["name"] = .string(message.name ?? "")
            object["tool_call_id"] = .string(message.toolCallID ?? "")
        }
        return .object(object)
    }

    func trlRow(_ attempt: RecordedAttempt) -> JSONValue {
        ["messages": .array(attempt.messages.map(Exporter.trlMessage)), "tools": .array(attempt.tools), "metadata": attempt.provenance]
    }

    // MARK: - ShareGPT (LLaMA-Factory)

    func shareGPTRow(_ attempt: RecordedAttempt) -> JSONValue {
        var conversations: [JSONValue] = []
        var pendingObservations: [String] = []
        func flushObservations() {
            guard !pendingObservations.isEmpty else { return }
            conversations.append(["from": "observation", "value": .string(pendingObservations.joined(separator: "\n\n"))])
            pendingObservations = []
        }
        for message in attempt.messages where message.role != .system {
            switch message.role {
            case .user:
                flushObservations()
                // human turns sit at odd positions: a user message right after another human turn is merged into it.
                if case .object(let last)? = conversations.last, last["from"] == "human" {
                    conversations[conversations.count - 1] = ["from": "human", "value": .string((last["value"]?.stringValue ?? "") + "\n\n" + message.content)]
                } else {
                    conversations.append(["from": "human", "value": .string(message.content)])
                }
            case .assistant:
                flushObservations()
                if message.toolCalls.isEmpty {
                    conversations.append(["from": "gpt", "value": .string(message.content)])
                } else {
                    let calls: [JSONValue] = message.toolCalls.map { call in
                        ["name": .string(call.name), "arguments": (try? JSONValue.parse(call.arguments)) ?? .string(call.arguments)]
                    }
                    let value = calls.count == 1 ? calls[0] : .array(calls)
                    conversations.append(["from": "function_call", "value": .string(value.encoded())])
                }
            case .tool:
                pendingObservations.append(message.content)
            case .system:
                break
            }
        }
        flushObservations()
        let system = attempt.messages.first { $0.role == .system }?.content ?? ""
        let tools: [JSONValue] = attempt.tools.map { $0["function"] ?? $0 }
        return [
            "conversations": .array(conversations), "system": .string(system), "tools": .string(JSONValue.array(tools).encoded()),
            "metadata": attempt.provenance,
        ]
    }

    // MARK: - Preference pairs

    /// Pairs each resolved attempt with each unresolved one of the same task: the shared
    /// prefix is the prompt, the first assistant messages that differ are chosen and rejected.
    func preferencePairs(_ attempts: [RecordedAttempt]) -> [(JSONValue, JSONValue)] {
        var pairs: [(JSONValue, JSONValue)] = []
        let byTask = Dictionary(grouping: attempts, by: \.instanceID)
        for instanceID in byTask.keys.sorted() {
            let group = byTask[instanceID] ?? []
            let good = group.filter { $0.resolved == true }
            let bad = group.filter { $0.resolved == false }
            for chosen in good {
                for rejected in bad {
                    guard let pair = preferencePair(chosen: chosen, rejected: rejected) else { continue }
                    pairs.append(pair)
                }
            }
        }
        return pairs
    }

    /// The same turn, whatever ids the provider gave its tool calls in each attempt.
    static func sameTurn(_ lhs: ChatMessage, _ rhs: ChatMessage) -> Bool {
        lhs.role == rhs.role && lhs.content == rhs.content && lhs.name == rhs.name
            && lhs.toolCalls.map { [$0.name, $0.arguments] } == rhs.toolCalls.map { [$0.name, $0.arguments] }
    }

    func preferencePair(chosen: RecordedAttempt, rejected: RecordedAttempt) -> (JSONValue, JSONValue)? {
        var shared = 0
        while shared < chosen.messages.count, shared < rejected.messages.count,
            Exporter.sameTurn(chosen.messages[shared], rejected.messages[shared])
        {
            shared += 1
        }
        guard shared < chosen.messages.count, shared < rejected.messages.count,
            chosen.messages[shared].role == .assistant, rejected.messages[shared].role == .assistant
        else { return nil }
        let provenance: JSONValue = [
            "instance_id": .string(chosen.instanceID), "chosen": chosen.provenance, "rejected": rejected.provenance,
            "shared_messages": .number(Double(shared)),
        ]
        switch options.dpoFormat {
        case .openai:
            let prompt = Array(openAIMessages(chosen, weights: false).prefix(shared))
            let good = openAIMessages(chosen, weights: false)[shared]
            let bad = openAIMessages(rejected, weights: false)[shared]
            let row: JSONValue = [
                "input": ["messages": .array(prompt), "tools": .array(chosen.tools), "parallel_tool_calls": false],
                "preferred_output": [good], "non_preferred_output": [bad],
            ]
            return (row, provenance)
        case .trl:
            let row: JSONValue = [
                "prompt": .array(chosen.messages.prefix(shared).map(Exporter.trlMessage)),
                "chosen": [Exporter.trlMessage(chosen.messages[shared])], "rejected": [Exporter.trlMessage(rejected.messages[shared])],
                "tools": .array(chosen.tools), "metadata": provenance,
            ]
            return (row, provenance)
        }
    }

    // MARK: - SWE-agent

    /// A SWE-agent 1.x `.traj` document: `trajectory`, `history`, `info`.
    func sweAgentTrajectory(_ attempt: RecordedAttempt) -> JSONValue {
        var history: [JSONValue] = []
        var trajectory: [JSONValue] = []
        var query: [JSONValue] = []
        for (index, message) in attempt.messages.enumerated() {
            var item: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": .string(message.content), "agent": "main"]
            switch message.role {
            case .system: item["message_type"] = "system_prompt"
            case .user: item["message_type"] = "user"
            case .assistant:
                item["message_type"] = "action"
                item["thought"] = .string(message.content)
                item["action"] = .string(message.toolCalls.map { "\($0.name) \($0.arguments)" }.joined(separator: "\n"))
                if !message.toolCalls.isEmpty {
                    item["tool_calls"] = .array(message.toolCalls.map(\.json))
                }
            case .tool:
                item["message_type"] = "observation"
                item["tool_call_ids"] = [.string(message.toolCallID ?? "")]
            }
            history.append(.object(item))
            if message.role == .assistant {
                let observations = attempt.messages.dropFirst(index + 1).prefix { $0.role == .tool }.map(\.content)
                trajectory.append([
                    "action": item["action"] ?? "", "observation": .string(observations.joined(separator: "\n")),
                    "response": .string(message.content), "thought": .string(message.content), "execution_time": 0,
                    "state": [:], "query": .array(query), "extra_info": [:],
                ])
            }
            query.append(JSONValue.object(["role": .string(message.role.rawValue), "content": .string(message.content)]))
        }
        // SWE-agent's own names for how a run ended.
        let exitStatus: String
        switch attempt.exitStatus {
        case .submitted, .testsPassed: exitStatus = "submitted"
        case .budgetExhausted(.cost): exitStatus = "exit_cost"
        case .budgetExhausted: exitStatus = "exit_total_execution_time"
        case .formatError: exitStatus = "exit_format"
        case .contextExhausted: exitStatus = "exit_context"
        case .modelError: exitStatus = "exit_api"
        case .infrastructureError: exitStatus = "exit_environment_error"
        case .stuck, .cancelled, nil: exitStatus = "exit_error"
        }
        let assistantTurns = attempt.messages.filter { $0.role == .assistant }.count
        return [
            "trajectory": .array(trajectory), "history": .array(history),
            "info": [
                "submission": attempt.patch.isEmpty ? .null : .string(attempt.patch), "exit_status": .string(exitStatus),
                "model_stats": [
                    "instance_cost": .number(attempt.cost ?? 0), "tokens_sent": .number(Double(attempt.usage.inputTokens)),
                    "tokens_received": .number(Double(attempt.usage.outputTokens)), "api_calls": .number(Double(assistantTurns)),
                ],
                "patchloop": attempt.provenance,
            ],
            "replay_config": .null, "environment": "main",
        ]
    }
}

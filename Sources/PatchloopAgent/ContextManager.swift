import Foundation
import PatchloopCore
import PatchloopModels

/// How the conversation is fitted into the model's context window.
public struct ContextSettings: Sendable, Hashable {
    /// Who writes the summary that replaces older history.
    public enum Summarizer: String, Sendable, Hashable, CaseIterable {
        /// The model itself, in a separate summarising request (recorded as such).
        case model
        /// A deterministic digest of what was read, edited, searched and tested.
        case digest
        /// Never compact (the run ends with `context_exhausted` when it no longer fits).
        case off
    }

    /// The model's context window in tokens; nil: unknown, no proactive compaction.
    public var window: Int?
    /// Compact once the estimated input passes this share of the window.
    public var compactionThreshold: Double
    /// Observations of the latest this-many steps are always sent whole; older ones
    /// become one-line stubs. Nil: never elide.
    public var keepObservations: Int?
    /// The elision boundary moves this many steps at a time, so the history the
    /// provider's prefix cache has seen stays unchanged in between.
    public var elisionBatch: Int
    public var summarizer: Summarizer
    /// Steps kept verbatim after a compaction.
    public var keepRecentSteps: Int

    public init(
        window: Int? = nil, compactionThreshold: Double = 0.8, keepObservations: Int? = 5, elisionBatch: Int = 5,
        summarizer: Summarizer = .digest, keepRecentSteps: Int = 4
    ) {
        self.window = window
        self.compactionThreshold = compactionThreshold
        self.keepObservations = keepObservations
        self.elisionBatch = max(1, elisionBatch)
        self.summarizer = summarizer
        self.keepRecentSteps = max(1, keepRecentSteps)
    }

    /// The defaults for a model: its known window, and the model itself as summariser
    /// for hosted providers (a deterministic digest for scripted, replayed and local models).
    public static func defaults(forModel identifier: String) -> ContextSettings {
        let provider = identifier.split(separator: ":").first.map(String.init) ?? ""
        let summarizer: Summarizer = ["openai", "openai-compatible", "anthropic"].contains(provider) ? .model : .digest
        return ContextSettings(window: knownWindow(for: identifier), summarizer: summarizer)
    }

    /// A plain linear history: nothing elided, nothing compacted.
    public static let linear = ContextSettings(keepObservations: nil, summarizer: .off)

    /// Context windows of known models, in tokens (the providers' published figures).
    public static func knownWindow(for model: String) -> Int? {
        let name = model.split(separator: ":").last.map(String.init)?.lowercased() ?? model.lowercased()
        let windows: [(String, Int)] = [
            ("gpt-4.1", 1_047_576), ("gpt-5", 400_000), ("gpt-4o", 128_000), ("o3", 200_000), ("o4-mini", 200_000),
            ("claude", 200_000), ("smollm2", 8_192), ("qwen2.5-coder", 32_768), ("qwen3-coder", 262_144),
            ("llama-3", 131_072), ("deepseek", 128_000), ("mistral", 32_768),
        ]
        return windows.first { name.contains($0.0) }?.1
    }

    /// Reads `json` back; missing fields keep `fallback`'s values.
    public init(json: JSONValue?, fallback: ContextSettings) {
        self = fallback
        guard let json, json.objectValue != nil else { return }
        if let value = json["window"] { window = value.intValue }
        if let value = json["compaction_threshold"]?.doubleValue { compactionThreshold = value }
        if let value = json["keep_observations"] { keepObservations = value.intValue }
        if let value = json["elision_batch"]?.intValue { elisionBatch = max(1, value) }
        if let value = json["summarizer"]?.stringValue.flatMap(Summarizer.init(rawValue:)) { summarizer = value }
        if let value = json["keep_recent_steps"]?.intValue { keepRecentSteps = max(1, value) }
    }

    public var json: JSONValue {
        [
            "window": window.map { .number(Double($0)) } ?? .null, "compaction_threshold": .number(compactionThreshold),
            "keep_observations": keepObservations.map { .number(Double($0)) } ?? .null, "elision_batch": .number(Double(elisionBatch)),
            "summarizer": .string(summarizer.rawValue), "keep_recent_steps": .number(Double(keepRecentSteps)),
        ]
    }
}

/// The conversation as recorded (every message, whole) and what is sent of it: the
/// system and instance prompts, the summary of compacted steps, then the later steps
/// with their older observations elided.
struct Conversation {
    /// The system prompt and the instance prompt.
    var preamble: [ChatMessage]
    /// Each step's messages: the assistant's, then its tool results (and feedback).
    var steps: [[ChatMessage]] = []
    /// Steps up to this count are replaced by `summary`.
    var compactedSteps = 0
    /// The user message that stands for the compacted steps, and the summary inside it.
    var summary: String?
    var summaryBody: String?
    /// The provider's input count for the last request, and our estimate of that request.
    var lastReportedInput: Int?
    var lastEstimate = 0

    init(preamble: [ChatMessage]) {
        self.preamble = preamble
    }

    /// The messages to send under `settings`.
    func view(_ settings: ContextSettings) -> [ChatMessage] {
        var messages = preamble
        if let summary {
            messages.append(.user(summary))
        }
        let boundary = elisionBoundary(settings)
        for index in compactedSteps..<steps.count {
            for message in steps[index] {
                if index < boundary, message.role == .tool, message.content.count > Conversation.elisionMinimum {
                    messages.append(.tool(Conversation.stub(for: message, in: steps[index]), callID: message.toolCallID ?? "", name: message.name ?? ""))
                } else {
                    messages.append(message)
                }
            }
        }
        return messages
    }

    /// Observations shorter than this stay: a stub would save nothing.
    static let elisionMinimum = 300

    /// Steps before this index have their observations elided. It moves in batches.
    func elisionBoundary(_ settings: ContextSettings) -> Int {
        guard let keep = settings.keepObservations else { return 0 }
        let old = steps.count - keep
        guard old > 0 else { return 0 }
        return (old / settings.elisionBatch) * settings.elisionBatch
    }

    /// Observations sent as stubs in the current view.
    func elidedCount(_ settings: ContextSettings) -> Int {
        let boundary = elisionBoundary(settings)
        guard boundary > compactedSteps else { return 0 }
        return steps[compactedSteps..<boundary].reduce(0) { count, step in
            count + step.filter { $0.role == .tool && $0.content.count > Conversation.elisionMinimum }.count
        }
    }

    static func stub(for observation: ChatMessage, in step: [ChatMessage]) -> String {
        let call = step.first { $0.role == .assistant }?.toolCalls.first { $0.id == observation.toolCallID }
        let arguments = call.map { ProgressText.abbreviate($0.arguments, 120) } ?? ""
        return "[\(observation.name ?? "tool") output for \(arguments) elided to save context: \(observation.content.count) characters. Repeat the call to see it again.]"
    }

    /// Input tokens of sending `messages` with `tools`: the provider's count for the
    /// previous request plus the estimated change since (exact where the provider
    /// reported; `TokenEstimator` only for what was added or removed).
    func estimateInput(_ messages: [ChatMessage], tools: [ToolSpec]) -> (estimate: Int, raw: Int) {
        let raw = Conversation.rawEstimate(messages, tools: tools)
        guard let reported = lastReportedInput else { return (raw, raw) }
        return (max(0, reported + raw - lastEstimate), raw)
    }

    static func rawEstimate(_ messages: [ChatMessage], tools: [ToolSpec]) -> Int {
        let messageTokens = messages.reduce(0) { total, message in
            total + 4 + TokenEstimator.estimate(message.content)
                + message.toolCalls.reduce(0) { $0 + 8 + TokenEstimator.estimate($1.name) + TokenEstimator.estimate($1.arguments) }
        }
        return messageTokens + tools.reduce(0) { $0 + TokenEstimator.estimate($1.json.encoded()) }
    }
}

/// Writes the summary that replaces compacted steps.
enum Summaries {
    /// The deterministic digest: one line per action, with its outcome.
    static func digest(of steps: ArraySlice<[ChatMessage]>) -> String {
        var lines: [String] = []
        for step in steps {
            guard let assistant = step.first(where: { $0.role == .assistant }) else { continue }
            if assistant.toolCalls.isEmpty {
                lines.append("- replied without a tool call")
                continue
            }
            for call in assistant.toolCalls {
                let result = step.first { $0.role == .tool && $0.toolCallID == call.id }?.content ?? ""
                lines.append("- " + describe(call, result: result))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ call: ToolCall, result: String) -> String {
        let arguments = (try? JSONValue.parse(call.arguments)) ?? .null
        let firstLine = result.split(separator: "\n").first.map(String.init) ?? ""
        let failed = result.hasPrefix("Error:")
        let path = arguments["path"]?.stringValue ?? ""
        switch call.name {
        case "read_file":
            let range = result.split(separator: "\n").last { $0.hasPrefix("[") && $0.contains("lines") }.map { " " + String($0) } ?? ""
            return failed ? "read_file \(path) failed: \(firstLine)" : "read \(path)\(range)"
        case "edit":
            return failed ? "edit of \(path) failed: \(firstLine)" : firstLine
        case "search":
            let pattern = arguments["pattern"]?.stringValue ?? ""
            let total = result.split(separator: "\n").last.map(String.init) ?? ""
            return "searched for '\(pattern)'\(path.isEmpty ? "" : " in \(path)"): \(failed ? firstLine : total)"
        case "run_tests":
            let failing = result.split(separator: "\n").first { $0.hasPrefix("Failing:") }.map { "; " + String($0) } ?? ""
            return "ran the tests: \(firstLine)\(failing)"
        default:
            return "\(call.name)(\(ProgressText.abbreviate(call.arguments, 100))): \(ProgressText.abbreviate(firstLine, 160))"
        }
    }

    /// The transcript a model is asked to summarise (observations shortened).
    static func transcript(of steps: ArraySlice<[ChatMessage]>) -> String {
        var text = ""
        for step in steps {
            for message in step {
                switch message.role {
                case .assistant:
                    if !message.content.isEmpty { text += "ASSISTANT: \(ProgressText.abbreviate(message.content, 1500))\n" }
                    for call in message.toolCalls { text += "CALL \(call.name) \(ProgressText.abbreviate(call.arguments, 500))\n" }
                case .tool:
                    text += "RESULT: \(ProgressText.abbreviate(message.content, 1500))\n"
                default:
                    text += "USER: \(ProgressText.abbreviate(message.content, 800))\n"
                }
            }
        }
        return text
    }

    static let modelInstruction = """
        You are summarising the earlier part of a coding agent's work on an issue, so that it can continue \
        without the full transcript. Write a concise summary: what the agent learned about the code (files, \
        functions, line numbers that matter), what it changed and why, what the tests showed, and what remains \
        to be done. Do not invent anything that is not in the transcript.
        """

    /// The user message that stands for the compacted steps.
    static func message(body: String, compactedSteps: Int, diff: String, latestTests: String?) -> String {
        var text = "Summary of your work in steps 1-\(compactedSteps) (the full transcript was compacted to save context):\n\(body)\n"
        let shownDiff = diff.isEmpty ? "(no changes yet)" : ProgressText.abbreviate(diff, 12_000)
        text += "\nCurrent diff of the repository against the base commit:\n```diff\n\(shownDiff)\n```\n"
        if let latestTests {
            text += "\nLatest test result:\n\(ProgressText.abbreviate(latestTests, 3000))\n"
        }
        return text
    }
}

/// Shortening for one-line displays.
enum ProgressText {
    static func abbreviate(_ text: String, _ limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

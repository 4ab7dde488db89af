import Foundation
import PatchloopCore
import PatchloopModels

/// How the conversation is fitted into the model's context window.
public struct ContextSettings: Sendable, Hashable, Codable {
    /// Who writes the summary that replaces older history.
    public enum Summarizer: String, Sendable, Hashable, CaseIterable, Codable {
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

    enum CodingKeys: String, CodingKey {
        case window, compactionThreshold = "compaction_threshold", keepObservations = "keep_observations", elisionBatch = "elision_batch"
        case summarizer, keepRecentSteps = "keep_recent_steps"
    }

    /// Missing fields keep the defaults (files written before a field existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ContextSettings()
        self.init(
            window: try container.decodeIfPresent(Int.self, forKey: .window),
            compactionThreshold: try container.decodeIfPresent(Double.self, forKey: .compactionThreshold) ?? defaults.compactionThreshold,
            keepObservations: container.contains(.keepObservations)
                ? try container.decodeIfPresent(Int.self, forKey: .keepObservations) : defaults.keepObservations,
            elisionBatch: try container.decodeIfPresent(Int.self, forKey: .elisionBatch) ?? defaults.elisionBatch,
            summarizer: try container.decodeIfPresent(Summarizer.self, forKey: .summarizer) ?? defaults.summarizer,
            keepRecentSteps: try container.decodeIfPresent(Int.self, forKey: .keepRecentSteps) ?? defaults.keepRecentSteps)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(window, forKey: .window)
        try container.encode(compactionThreshold, forKey: .compactionThreshold)
        try container.encode(keepObservations, forKey: .keepObservations)
        try container.encode(elisionBatch, forKey: .elisionBatch)
        try container.encode(summarizer, forKey: .summarizer)
        try container.encode(keepRecentSteps, forKey: .keepRecentSteps)
    }
}

/// The conversation as recorded (every message, whole) and what is sent of it: the
/// system and instance prompts, the summary of compacted steps, then the later steps
/// with their older observations elided.
///
/// A view, its size and its token estimate cost O(1) amortised per step, however long
/// the history: each step is measured once, when it is appended (its stubs written, its
/// tokens and messages counted into running totals), and the view last sent is kept and
/// extended rather than rebuilt. Counting every earlier observation on every step made the
/// steps of a 1,000-step run over ten times slower than those of a 10-step one.
struct Conversation {
    /// The system prompt and the instance prompt.
    let preamble: [ChatMessage]
    /// Each step's messages: the assistant's, then its tool results (and feedback).
    ///
    /// The loop only appends; any other change (a step edited, steps removed) measures
    /// the whole history again, so the totals are always those of `steps`.
    var steps: [[ChatMessage]] = [] {
        didSet { measureSteps() }
    }
    /// Steps up to this count are replaced by `summary`.
    var compactedSteps = 0 {
        didSet { sentView = nil }
    }
    /// The user message that stands for the compacted steps, and the summary inside it.
    var summary: String? {
        didSet { sentView = nil }
    }
    var summaryBody: String?
    /// The provider's input count for the last request, and our estimate of that request.
    var lastReportedInput: Int?
    var lastEstimate = 0

    /// Anchors the next estimate on the provider's own count for this request (when it
    /// gave one), so estimates do not drift over a long run.
    mutating func noteUsage(of response: ChatResponse, sent: SentContext) {
        lastReportedInput = response.usageIsEstimated || response.usage.inputTokens == 0 ? nil : response.usage.inputTokens
        lastEstimate = sent.rawEstimate
    }

    /// What each recorded step sends when elided, and running totals over the steps.
    private var measured: [MeasuredStep] = []
    /// `totals[i]` sums steps `0..<i`, so the totals of any run of steps are one subtraction.
    private var totals: [Totals] = [Totals()]
    private let preambleTokens: Int
    /// The view last built, extended as steps are appended.
    private var sentView: SentView?

    init(preamble: [ChatMessage]) {
        self.preamble = preamble
        preambleTokens = preamble.reduce(0) { $0 + Conversation.estimate($1) }
    }

    /// The messages to send under `settings`.
    ///
    /// O(1) when the view was brought up to date (`refreshView`) since the last change;
    /// otherwise it is brought up to date on a copy.
    func view(_ settings: ContextSettings) -> [ChatMessage] {
        if let sentView, sentView.isCurrent(settings, stepCount: steps.count, boundary: elisionBoundary(settings)) {
            return sentView.messages
        }
        var copy = self
        return copy.refreshView(settings)
    }

    /// Brings the kept view up to date with the steps appended since it was built (their
    /// messages added, the observations the elision boundary has passed replaced by
    /// stubs) and returns it. Rebuilt whole only after a compaction or a settings change.
    @discardableResult
    mutating func refreshView(_ settings: ContextSettings) -> [ChatMessage] {
        let boundary = elisionBoundary(settings)
        // Taken out so its messages are uniquely referenced while they are edited in place.
        guard var view = sentView.take(), view.canExtend(settings, stepCount: steps.count, boundary: boundary) else {
            let view = buildView(settings, boundary: boundary)
            sentView = view
            return view.messages
        }
        // Steps already in the view that the boundary has now passed: their long observations become stubs.
        let firstNewlyElided = max(view.boundary, compactedSteps)
        let pastNewlyElided = max(firstNewlyElided, min(boundary, view.stepCount))
        for index in firstNewlyElided..<pastNewlyElided where measured[index].stubs > 0 {
            let start = view.headCount + totals[index].messages - totals[compactedSteps].messages
            view.messages.replaceSubrange(start..<(start + measured[index].elided.count), with: measured[index].elided)
        }
        for index in view.stepCount..<steps.count {
            view.messages.append(contentsOf: index < boundary ? measured[index].elided : steps[index])
        }
        view.boundary = boundary
        view.stepCount = steps.count
        sentView = view
        return view.messages
    }

    private func buildView(_ settings: ContextSettings, boundary: Int) -> SentView {
        var messages = preamble
        if let summary {
            messages.append(.user(summary))
        }
        let headCount = messages.count
        messages.reserveCapacity(headCount + totals[steps.count].messages - totals[compactedSteps].messages)
        for index in compactedSteps..<steps.count {
            messages.append(contentsOf: index < boundary ? measured[index].elided : steps[index])
        }
        return SentView(
            keepObservations: settings.keepObservations, elisionBatch: settings.elisionBatch, boundary: boundary, stepCount: steps.count,
            headCount: headCount, messages: messages)
    }

    /// Observations shorter than this stay: a stub would save nothing.
    static let elisionMinimum = 300

    /// Steps before this index have their observations elided. It moves in batches.
    func elisionBoundary(_ settings: ContextSettings) -> Int {
        guard let keep = settings.keepObservations else { return 0 }
        let old = steps.count - keep
        guard old > 0 else { return 0 }
        return min(steps.count, (old / settings.elisionBatch) * settings.elisionBatch)
    }

    /// Observations sent as stubs in the current view.
    func elidedCount(_ settings: ContextSettings) -> Int {
        let boundary = elisionBoundary(settings)
        guard boundary > compactedSteps else { return 0 }
        return totals[boundary].stubs - totals[compactedSteps].stubs
    }

    /// The stub an elided observation is sent as; `characters` is its length.
    static func stub(for observation: ChatMessage, characters: Int, in step: [ChatMessage]) -> String {
        let call = step.first { $0.role == .assistant }?.toolCalls.first { $0.id == observation.toolCallID }
        let arguments = call.map { ProgressText.abbreviate($0.arguments, 120) } ?? ""
        return "[\(observation.name ?? "tool") output for \(arguments) elided to save context: \(characters) characters. Repeat the call to see it again.]"
    }

    /// Input tokens of sending the view under `settings` with tools of `toolTokens`: the
    /// provider's count for the previous request plus the estimated change since (exact
    /// where the provider reported; `TokenEstimator` only for what was added or removed).
    ///
    /// The raw figure is `rawEstimate(view(settings), tools:)`, taken from the running totals.
    func estimateInput(_ settings: ContextSettings, toolTokens: Int) -> (estimate: Int, raw: Int) {
        let boundary = max(compactedSteps, elisionBoundary(settings))
        let end = totals[steps.count]
        var raw = preambleTokens + toolTokens + (summary.map { 4 + TokenEstimator.estimate($0) } ?? 0)
        raw += totals[boundary].elidedTokens - totals[compactedSteps].elidedTokens
        raw += end.wholeTokens - totals[boundary].wholeTokens
        guard let reported = lastReportedInput else { return (raw, raw) }
        return (max(0, reported + raw - lastEstimate), raw)
    }

    /// The estimate of sending `messages` with `tools`, counting every one: what the
    /// running totals add up to for a view.
    static func rawEstimate(_ messages: [ChatMessage], tools: [ToolSpec]) -> Int {
        messages.reduce(0) { $0 + estimate($1) } + tools.reduce(0) { $0 + TokenEstimator.estimate($1.json.encoded()) }
    }

    /// One message's share of `rawEstimate`.
    static func estimate(_ message: ChatMessage) -> Int {
        4 + TokenEstimator.estimate(message.content)
            + message.toolCalls.reduce(0) { $0 + 8 + TokenEstimator.estimate($1.name) + TokenEstimator.estimate($1.arguments) }
    }

    // MARK: - Measuring steps as they are appended

    /// Measures the steps appended since the last call, or, after any other change, all of them again.
    private mutating func measureSteps() {
        if steps.count <= measured.count {
            // Not an append (the loop never does this): start over, so nothing stale survives.
            measured = []
            totals = [Totals()]
            sentView = nil
        }
        for index in measured.count..<steps.count {
            let step = MeasuredStep(steps[index])
            var total = totals[index]
            total.messages += steps[index].count
            total.wholeTokens += step.wholeTokens
            total.elidedTokens += step.elidedTokens
            total.stubs += step.stubs
            measured.append(step)
            totals.append(total)
        }
    }

    /// Running sums over the first steps.
    private struct Totals {
        var messages = 0
        var wholeTokens = 0
        var elidedTokens = 0
        var stubs = 0
    }

    /// One step as sent once the elision boundary has passed it.
    private struct MeasuredStep {
        /// The step's messages with each long observation replaced by its stub (the
        /// same messages when none is long).
        var elided: [ChatMessage]
        var stubs = 0
        var wholeTokens = 0
        var elidedTokens = 0

        init(_ step: [ChatMessage]) {
            elided = step
            for (position, message) in step.enumerated() {
                let tokens = Conversation.estimate(message)
                wholeTokens += tokens
                // No more characters than UTF-8 bytes: a short observation is known short without counting it.
                guard message.role == .tool, message.content.utf8.count > Conversation.elisionMinimum else {
                    elidedTokens += tokens
                    continue
                }
                let characters = message.content.count
                guard characters > Conversation.elisionMinimum else {
                    elidedTokens += tokens
                    continue
                }
                let stub = ChatMessage.tool(
                    Conversation.stub(for: message, characters: characters, in: step), callID: message.toolCallID ?? "", name: message.name ?? "")
                elided[position] = stub
                elidedTokens += Conversation.estimate(stub)
                stubs += 1
            }
        }
    }

    /// The messages last sent and what they were built from.
    private struct SentView {
        var keepObservations: Int?
        var elisionBatch: Int
        var boundary: Int
        var stepCount: Int
        /// The preamble and the summary message.
        var headCount: Int
        var messages: [ChatMessage]

        func isCurrent(_ settings: ContextSettings, stepCount: Int, boundary: Int) -> Bool {
            sameSettings(settings) && self.stepCount == stepCount && self.boundary == boundary
        }

        /// Whether only steps were appended since (and the boundary moved only forward):
        /// then extending it gives the same messages as building it afresh.
        func canExtend(_ settings: ContextSettings, stepCount: Int, boundary: Int) -> Bool {
            sameSettings(settings) && self.stepCount <= stepCount && self.boundary <= boundary
        }

        private func sameSettings(_ settings: ContextSettings) -> Bool {
            keepObservations == settings.keepObservations && elisionBatch == settings.elisionBatch
        }
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

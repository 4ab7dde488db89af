import Foundation
import PatchloopCore
import PatchloopModels
import PatchloopTools
import PatchloopWorkspace

/// Settings of the loop beyond its budget.
public struct AgentSettings: Sendable, Codable {
    public var budget: Budget
    /// Observations longer than head + tail characters are cut in the middle.
    public var observationLimit: ObservationLimit
    /// End the attempt as soon as a full `run_tests` passes after a change was made.
    public var stopWhenTestsPass: Bool
    public var temperature: Double?
    /// Elision and compaction: how the history is fitted into the model's window.
    public var context: ContextSettings
    /// Calls past this many in one reply are answered "not run" (a reply with forty
    /// `run_tests` calls must not outlast the time budget by forty test runs).
    public var maxToolCallsPerReply: Int

    public init(
        budget: Budget = Budget(), observationLimit: ObservationLimit = .default, stopWhenTestsPass: Bool = true,
        temperature: Double? = nil, context: ContextSettings = ContextSettings(), maxToolCallsPerReply: Int = 16
    ) {
        self.context = context
        self.maxToolCallsPerReply = max(1, maxToolCallsPerReply)
        self.budget = budget
        self.observationLimit = observationLimit
        self.stopWhenTestsPass = stopWhenTestsPass
        self.temperature = temperature
    }

    enum CodingKeys: String, CodingKey {
        case budget, observationHead = "observation_head_chars", observationTail = "observation_tail_chars"
        case stopWhenTestsPass = "stop_when_tests_pass", temperature, context, maxToolCallsPerReply = "max_tool_calls_per_reply"
    }

    /// Missing fields keep the defaults (files written before a field existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AgentSettings()
        self.init(
            budget: try container.decodeIfPresent(Budget.self, forKey: .budget) ?? defaults.budget,
            observationLimit: ObservationLimit(
                headCharacters: try container.decodeIfPresent(Int.self, forKey: .observationHead) ?? defaults.observationLimit.headCharacters,
                tailCharacters: try container.decodeIfPresent(Int.self, forKey: .observationTail) ?? defaults.observationLimit.tailCharacters),
            stopWhenTestsPass: try container.decodeIfPresent(Bool.self, forKey: .stopWhenTestsPass) ?? defaults.stopWhenTestsPass,
            temperature: try container.decodeIfPresent(Double.self, forKey: .temperature),
            context: try container.decodeIfPresent(ContextSettings.self, forKey: .context) ?? defaults.context,
            maxToolCallsPerReply: try container.decodeIfPresent(Int.self, forKey: .maxToolCallsPerReply) ?? defaults.maxToolCallsPerReply)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(budget, forKey: .budget)
        try container.encode(observationLimit.headCharacters, forKey: .observationHead)
        try container.encode(observationLimit.tailCharacters, forKey: .observationTail)
        try container.encode(stopWhenTestsPass, forKey: .stopWhenTestsPass)
        try container.encode(temperature, forKey: .temperature)
        try container.encode(context, forKey: .context)
        try container.encode(maxToolCallsPerReply, forKey: .maxToolCallsPerReply)
    }
}

/// The loop: ask the model, run the tools it calls, append what they said, until it
/// submits, the tests pass, a budget runs out, or it goes wrong three times in a row.
///
/// Every ending is an `AgentStop` thrown from `step`; `run` catches it once and ends there.
public struct Agent: Sendable {
    public var model: any ChatModel
    public var toolbox: Toolbox
    public var context: ToolContext
    public var sandbox: Sandbox
    public var settings: AgentSettings
    public var recorder: TrajectoryRecorder
    /// Called after each step with a one-line summary per tool call (for live output).
    public var onStep: (@Sendable (StepSummary) -> Void)?

    public init(
        model: any ChatModel, toolbox: Toolbox = .standard, context: ToolContext, sandbox: Sandbox, settings: AgentSettings,
        recorder: TrajectoryRecorder
    ) {
        self.model = model
        self.toolbox = toolbox
        self.context = context
        self.sandbox = sandbox
        self.settings = settings
        self.recorder = recorder
    }

    /// Runs one attempt at `task`. `header` adds fields to the trajectory's first line.
    public func run(_ task: AgentTask, header: [String: JSONValue] = [:]) async -> AgentOutcome {
        var state = LoopState(messages: [.system(Prompts.system), .user(Prompts.instance(task))], tools: toolbox.specs, pricing: model.pricing)
        recordHeader(task, extra: header, messages: state.conversation.preamble)
        var stop: AgentStop
        while true {
            do {
                try await step(&state)
            } catch let ending as AgentStop {
                stop = ending
                break
            } catch {
                stop = .infrastructure(ErrorText.sentence(for: error))
                break
            }
        }
        var patch = ""
        do {
            patch = try await sandbox.diff()
        } catch {
            stop = .infrastructure("could not read the worktree's diff: \(ErrorText.sentence(for: error))")
        }
        return AgentOutcome(
            exitStatus: stop.status, detail: stop.detail, patch: patch, steps: state.spent.steps, usage: state.spent.usage,
            cost: state.spent.cost, duration: state.spent.wallSeconds, trajectoryPath: recorder.path)
    }

    /// One model call and the tool calls it makes: query, execute, check for an ending.
    func step(_ state: inout LoopState) async throws {
        if Task.isCancelled { throw AgentStop.cancelled }
        if let kind = settings.budget.exhausted(by: state.spent) { throw AgentStop.budget(kind, state.spent) }

        let (response, sent) = try await query(&state)
        let results = await execute(response.message.toolCalls, state: &state)
        let feedback = state.append(response.message, results: results)

        let events = results.map(observationEvent)
        recorder.record(stepEvent(state: state, response: response, observations: events, feedback: feedback, sent: sent))
        onStep?(
            StepSummary(
                step: state.spent.steps, calls: response.message.toolCalls, observations: events, text: response.message.content,
                slotWait: response.slotWait))
        if let ending = try await ending(of: results, state: state) { throw ending }
    }

    /// Asks the model (fitting the history into its window first) and counts what it cost.
    private func query(_ state: inout LoopState) async throws -> (ChatResponse, SentContext) {
        let (response, sent) = try await ask(&state)
        state.spent.steps += 1
        state.spent.waited += response.slotWait
        state.spent.add(response.usage, pricing: state.pricing)
        state.conversation.noteUsage(of: response, sent: sent)
        return (response, sent)
    }

    /// Runs the reply's calls in order. A call past the per-reply cap, or once the time
    /// budget is spent (checked before every call), is answered "not run" instead; a call
    /// still running when the time budget passes is cancelled (its processes killed).
    private func execute(_ calls: [ToolCall], state: inout LoopState) async -> [CallResult] {
        var results: [CallResult] = []
        var timeIsUp = false
        for (index, call) in calls.enumerated() {
            let started = Date()
            var observation: Observation
            if index >= settings.maxToolCallsPerReply {
                observation = .error(
                    "not run: one reply may make at most \(settings.maxToolCallsPerReply) tool calls; send the rest in your next reply.",
                    facts: ["not_run": true])
            } else if timeIsUp || settings.budget.maxSeconds.map({ state.spent.seconds >= $0 }) == true {
                timeIsUp = true
                observation = .error("not run: the attempt's time budget is used up.", facts: ["not_run": true, "time_is_up": true])
            } else {
                let (toolbox, context) = (toolbox, context)
                do {
                    observation = try await withTimeLimit(settings.budget.secondsLeft(after: state.spent)) {
                        await toolbox.run(name: call.name, argumentsJSON: call.arguments, context: context)
                    }
                } catch is TimeLimitExceeded {
                    timeIsUp = true
                    observation = .error(
                        "stopped: the attempt's time budget ran out while \(call.name) was running.", facts: ["stopped": true, "time_is_up": true])
                } catch {
                    // The attempt was cancelled (an interrupted run): the next step's check ends it so.
                    observation = .error("stopped: the attempt was cancelled while \(call.name) was running.", facts: ["stopped": true])
                }
            }
            let repeats = state.repetitions.count(call: call, observation: observation.text)
            if repeats == 3 { observation.text += "\n\n" + Prompts.repeatedCall }
            let shown = settings.observationLimit.apply(to: observation.text)
            if call.name == "run_tests" { state.latestTestResult = shown.text }
            results.append(CallResult(call: call, observation: observation, shown: shown, repeats: repeats, duration: Date().timeIntervalSince(started)))
        }
        return results
    }

    /// The first call (in order) that ends the attempt, or three replies in a row without
    /// a valid call.
    private func ending(of results: [CallResult], state: LoopState) async throws -> AgentStop? {
        for result in results {
            if result.observation.facts["time_is_up"]?.boolValue == true { return .budget(.time, state.spent) }
            if result.observation.endsAttempt { return .submitted }
            if result.repeats >= 4 { return .stuck("the same \(result.call.name) call gave the same result \(result.repeats) times") }
            if settings.stopWhenTestsPass, result.call.name == "run_tests", result.observation.facts["all_passed"]?.boolValue == true,
                try await !sandbox.changedPaths().isEmpty
            {
                return .testsPassed
            }
        }
        if state.consecutiveFormatErrors >= 3 { return .formatErrors("three replies in a row had no valid tool call") }
        return nil
    }

    // MARK: - Trajectory events

    private func recordHeader(_ task: AgentTask, extra: [String: JSONValue], messages: [ChatMessage]) {
        var header: [String: JSONValue] = [
            "type": "header",
            "format_version": .number(Double(TrajectoryRecorder.formatVersion)),
            "patchloop_version": .string(PatchloopVersion.current),
            "timestamp": .string(TrajectoryRecorder.timestamp()),
            "instance_id": .string(task.instanceID),
            "repo": .string(task.repositoryName),
            "model": .string(model.identifier),
            "settings": (try? RunFileCoding.jsonValue(settings)) ?? .null,
            "tools": .array(toolbox.specs.map(\.json)),
            "messages": .array(messages.map(\.json)),
            "base_commit": .string(sandbox.base.commit),
            "cost_known": .bool(model.pricing != nil),
        ]
        for (key, value) in extra { header[key] = value }
        recorder.record(.object(header))
    }

    private func observationEvent(_ result: CallResult) -> JSONValue {
        [
            "tool_call_id": .string(result.call.id), "name": .string(result.call.name), "output": .string(result.shown.text),
            "is_error": .bool(result.observation.isError), "facts": .object(result.observation.facts),
            "truncated": .bool(result.shown.omittedCharacters > 0), "omitted_chars": .number(Double(result.shown.omittedCharacters)),
            "duration": .number(result.duration), "ends_attempt": .bool(result.observation.endsAttempt),
        ]
    }

    private func stepEvent(state: LoopState, response: ChatResponse, observations: [JSONValue], feedback: String?, sent: SentContext) -> JSONValue {
        [
            "context": [
                "estimated_input_tokens": .number(Double(sent.estimate)), "messages_sent": .number(Double(sent.messageCount)),
                "elided_observations": .number(Double(sent.elided)), "compacted_steps": .number(Double(sent.compactedSteps)),
            ],
            "type": "step", "step": .number(Double(state.spent.steps)), "timestamp": .string(TrajectoryRecorder.timestamp()),
            "assistant": response.message.json, "observations": .array(observations),
            "feedback": feedback.map { .string($0) } ?? .null,
            "usage": response.usage.json, "finish_reason": .string(response.finishReason),
            "retries": .array(response.retries.map { .string($0) }), "usage_estimated": .bool(response.usageIsEstimated),
            "model_latency": .number(response.latency), "elapsed": .number(state.spent.seconds),
            "tool_mode": .string(response.toolMode ?? "native"), "slot_wait": .number(response.slotWait),
            "total_usage": state.spent.usage.json, "total_cost": state.spent.cost.map { .number($0) } ?? .null,
        ]
    }
}

/// What one step did, for progress output.
public struct StepSummary: Sendable {
    public var step: Int
    public var calls: [ToolCall]
    /// The observation events as the trajectory records them.
    public var observations: [JSONValue]
    public var text: String
    /// Seconds the request waited for a free slot of the model's endpoint.
    public var slotWait: Double = 0
}

/// One tool call of a reply and what came of it.
struct CallResult {
    var call: ToolCall
    var observation: Observation
    /// The observation as the model sees it (long ones cut in the middle).
    var shown: ObservationLimit.Shortened
    /// How many times in a row this call has given this result.
    var repeats: Int
    var duration: Double
}

/// What the loop carries from step to step.
struct LoopState {
    var conversation: Conversation
    var pricing: ModelPricing?
    var spent = Budget.Spent()
    var consecutiveFormatErrors = 0
    var repetitions = RepetitionMonitor()
    /// The last `run_tests` output, kept through compaction.
    var latestTestResult: String?
    /// The tool schemas' share of every request's estimate: the same each step, so counted once.
    let toolTokens: Int

    init(messages: [ChatMessage], tools: [ToolSpec], pricing: ModelPricing?) {
        conversation = Conversation(preamble: messages)
        toolTokens = Conversation.rawEstimate([], tools: tools)
        self.pricing = pricing
        if pricing == nil { spent.cost = nil }
    }

    /// Adds the reply and its results to the history, and counts a reply whose calls were
    /// all malformed (or that made none) as a format error. Returns the feedback sent
    /// when the reply had no tool call.
    mutating func append(_ reply: ChatMessage, results: [CallResult]) -> String? {
        var messages = [reply] + results.map { ChatMessage.tool($0.shown.text, callID: $0.call.id, name: $0.call.name) }
        var feedback: String?
        let malformed = results.filter { $0.observation.facts["format_error"]?.boolValue == true }.count
        if results.isEmpty {
            feedback = Prompts.noToolCall
            messages.append(.user(Prompts.noToolCall))
        }
        conversation.steps.append(messages)
        let allMalformed = results.isEmpty || malformed == results.count
        consecutiveFormatErrors = allMalformed ? consecutiveFormatErrors + 1 : 0
        return feedback
    }
}

extension Budget.Spent {
    /// Counts a request's tokens and, when the price is known, its cost.
    mutating func add(_ usage: TokenUsage, pricing: ModelPricing?) {
        self.usage = self.usage + usage
        if let pricing, let cost { self.cost = cost + pricing.cost(of: usage) }
    }
}

/// Counts how often the same call has just given the same observation in a row.
struct RepetitionMonitor {
    private var last: (name: String, arguments: String, observation: String)?
    private var count = 0

    /// Records a call and returns how many times in a row it has now been seen. Arguments
    /// are the same when they are the same JSON, whatever their spacing or key order.
    mutating func count(call: ToolCall, observation: String) -> Int {
        let repeated = last.map { last in
            // The arguments are parsed only when all else matches and their text differs: rarely.
            last.name == call.name && last.observation == observation
                && (last.arguments == call.arguments || RepetitionMonitor.canonical(last.arguments) == RepetitionMonitor.canonical(call.arguments))
        } ?? false
        count = repeated ? count + 1 : 1
        last = (call.name, call.arguments, observation)
        return count
    }

    private static func canonical(_ arguments: String) -> String {
        (try? JSONValue.parse(arguments).encoded()) ?? arguments
    }
}

/// Every way an attempt ends; thrown from `Agent.step`.
enum AgentStop: Error {
    case submitted
    case testsPassed
    case budget(BudgetKind, Budget.Spent)
    case formatErrors(String)
    case stuck(String)
    case model(String)
    case contextExhausted(String)
    case infrastructure(String)
    case cancelled

    var status: ExitStatus {
        switch self {
        case .submitted: return .submitted
        case .testsPassed: return .testsPassed
        case .budget(let kind, _): return .budgetExhausted(kind)
        case .formatErrors: return .formatError
        case .stuck: return .stuck
        case .model: return .modelError
        case .contextExhausted: return .contextExhausted
        case .infrastructure: return .infrastructureError
        case .cancelled: return .cancelled
        }
    }

    var detail: String {
        switch self {
        case .submitted: return "the model submitted"
        case .testsPassed: return "the tests passed after a change"
        case .budget(let kind, let spent):
            switch kind {
            case .steps: return "step budget used up after \(spent.steps) steps"
            case .time:
                let waited = spent.waited >= 1 ? " (plus \(Int(spent.waited)) s waiting for a model slot, which the budget does not count)" : ""
                return "time budget used up after \(Int(spent.seconds)) s\(waited)"
            case .tokens: return "token budget used up (\(spent.usage.totalTokens) tokens)"
            case .cost: return String(format: "cost budget used up ($%.4f)", spent.cost ?? 0)
            }
        case .formatErrors(let text), .stuck(let text), .model(let text), .contextExhausted(let text), .infrastructure(let text): return text
        case .cancelled: return "cancelled"
        }
    }
}

/// Cuts long observations to a head and a tail, with a note of what was left out.
///
/// 5,000 + 5,000 characters by default, as mini-swe-agent does: enough for a test
/// failure's summary at the end and its first traceback at the start.
public struct ObservationLimit: Sendable, Hashable {
    public var headCharacters: Int
    public var tailCharacters: Int

    public init(headCharacters: Int, tailCharacters: Int) {
        self.headCharacters = headCharacters
        self.tailCharacters = tailCharacters
    }

    public static let `default` = ObservationLimit(headCharacters: 5000, tailCharacters: 5000)

    public struct Shortened {
        public var text: String
        public var omittedCharacters: Int
    }

    public func apply(to text: String) -> Shortened {
        // No more characters than UTF-8 bytes: most observations are known to fit without counting their characters.
        if text.utf8.count <= headCharacters + tailCharacters { return Shortened(text: text, omittedCharacters: 0) }
        let count = text.count
        guard count > headCharacters + tailCharacters else { return Shortened(text: text, omittedCharacters: 0) }
        let omitted = count - headCharacters - tailCharacters
        let note = "\n[… \(omitted) characters omitted from the middle of this output …]\n"
        return Shortened(text: String(text.prefix(headCharacters)) + note + String(text.suffix(tailCharacters)), omittedCharacters: omitted)
    }
}

/// The version written into trajectories and shown by `patchloop --version`.
public enum PatchloopVersion {
    public static let current = "0.1.0"
}

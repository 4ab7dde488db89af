import Foundation
import PatchloopCore
import PatchloopModels
import PatchloopTools
import PatchloopWorkspace

/// Settings of the loop beyond its budget.
public struct AgentSettings: Sendable {
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

    public var json: JSONValue {
        [
            "budget": budget.json, "observation_head_chars": .number(Double(observationLimit.headCharacters)),
            "observation_tail_chars": .number(Double(observationLimit.tailCharacters)),
            "stop_when_tests_pass": .bool(stopWhenTestsPass), "temperature": temperature.map { .number($0) } ?? .null,
            "context": context.json, "max_tool_calls_per_reply": .number(Double(maxToolCallsPerReply)),
        ]
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
                stop = .infrastructure("\(error)")
                break
            }
        }
        var patch = ""
        do {
            patch = try await sandbox.diff()
        } catch {
            stop = .infrastructure("could not read the worktree's diff: \(error)")
        }
        return AgentOutcome(
            exitStatus: stop.status, detail: stop.detail, patch: patch, steps: state.spent.steps, usage: state.spent.usage,
            cost: state.spent.cost, duration: state.spent.seconds, trajectoryPath: recorder.path)
    }

    /// One model call and the tool calls it makes.
    func step(_ state: inout LoopState) async throws {
        if Task.isCancelled { throw AgentStop.cancelled }
        if let kind = settings.budget.exhausted(by: state.spent) { throw AgentStop.budget(kind, state.spent) }

        let (response, sent) = try await ask(&state)
        state.spent.steps += 1
        state.spent.add(response.usage, pricing: state.pricing)
        state.conversation.lastReportedInput = response.usageIsEstimated || response.usage.inputTokens == 0 ? nil : response.usage.inputTokens
        state.conversation.lastEstimate = sent.rawEstimate
        var stepMessages = [response.message]

        var records: [JSONValue] = []
        var ending: AgentStop?
        var formatErrors = 0
        var feedback: String?
        for (index, call) in response.message.toolCalls.enumerated() {
            let started = Date()
            var observation: Observation
            if index >= settings.maxToolCallsPerReply {
                observation = .error(
                    "not run: one reply may make at most \(settings.maxToolCallsPerReply) tool calls; send the rest in your next reply.",
                    facts: ["not_run": true])
            } else if case .budget(.time, _) = ending {
                observation = .error("not run: the attempt's time budget is used up.", facts: ["not_run": true])
            } else if let maxSeconds = settings.budget.maxSeconds, state.spent.seconds >= maxSeconds {
                // Checked before every call, not only between steps: one reply may hold many slow calls.
                observation = .error("not run: the attempt's time budget is used up.", facts: ["not_run": true])
                ending = ending ?? .budget(.time, state.spent)
            } else {
                observation = await toolbox.run(name: call.name, argumentsJSON: call.arguments, context: context)
            }
            if observation.facts["format_error"]?.boolValue == true { formatErrors += 1 }
            let repeats = state.repetitions.count(call: call, observation: observation.text)
            if repeats == 3 { observation.text += "\n\n" + Prompts.repeatedCall }
            let shown = settings.observationLimit.apply(to: observation.text)
            stepMessages.append(.tool(shown.text, callID: call.id, name: call.name))
            if call.name == "run_tests" { state.latestTestResult = shown.text }
            records.append(observationEvent(call: call, observation: observation, shown: shown, duration: Date().timeIntervalSince(started)))

            if ending == nil {
                if observation.endsAttempt {
                    ending = .submitted
                } else if repeats >= 4 {
                    ending = .stuck("the same \(call.name) call gave the same result \(repeats) times")
                } else if settings.stopWhenTestsPass, call.name == "run_tests", observation.facts["all_passed"]?.boolValue == true,
                    try await !sandbox.changedPaths().isEmpty
                {
                    ending = .testsPassed
                }
            }
        }
        if response.message.toolCalls.isEmpty {
            formatErrors = 1
            feedback = Prompts.noToolCall
            stepMessages.append(.user(Prompts.noToolCall))
        }
        state.conversation.steps.append(stepMessages)
        state.consecutiveFormatErrors = formatErrors > 0 && formatErrors == max(1, response.message.toolCalls.count)
            ? state.consecutiveFormatErrors + 1 : 0

        recorder.record(stepEvent(state: state, response: response, observations: records, feedback: feedback, sent: sent))
        onStep?(StepSummary(step: state.spent.steps, calls: response.message.toolCalls, observations: records, text: response.message.content))
        if let ending { throw ending }
        if state.consecutiveFormatErrors >= 3 {
            throw AgentStop.formatErrors("three replies in a row had no valid tool call")
        }
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
            "settings": settings.json,
            "tools": .array(toolbox.specs.map(\.json)),
            "messages": .array(messages.map(\.json)),
            "base_commit": .string(sandbox.base.commit),
            "cost_known": .bool(model.pricing != nil),
        ]
        for (key, value) in extra { header[key] = value }
        recorder.record(.object(header))
    }

    private func observationEvent(call: ToolCall, observation: Observation, shown: ObservationLimit.Shortened, duration: Double) -> JSONValue {
        [
            "tool_call_id": .string(call.id), "name": .string(call.name), "output": .string(shown.text),
            "is_error": .bool(observation.isError), "facts": .object(observation.facts),
            "truncated": .bool(shown.omittedCharacters > 0), "omitted_chars": .number(Double(shown.omittedCharacters)),
            "duration": .number(duration), "ends_attempt": .bool(observation.endsAttempt),
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
            case .time: return "time budget used up after \(Int(spent.seconds)) s"
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

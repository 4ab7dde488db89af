import Foundation
import PatchloopCore
import Synchronization

/// A deterministic model that answers from a fixed list of turns, for tests and
/// offline runs. Each turn is text and tool calls; when the list runs out the model
/// answers with `whenExhausted` (by default: a `submit` call).
///
/// A script file is a JSON array of turns (or `{"turns": [...], "delay": SECONDS}`, where the
/// optional delay stands in for a slow model's latency):
/// `[{"content": "look first", "tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]}, …]`
/// `arguments` may be an object or a JSON string (a string that does not parse is
/// passed through, to test how the agent handles malformed calls).
public final class ScriptedModel: ChatModel {
    public struct Turn: Sendable, Hashable {
        public var content: String
        public var toolCalls: [(name: String, arguments: String)]

        public init(content: String = "", toolCalls: [(name: String, arguments: String)]) {
            self.content = content
            self.toolCalls = toolCalls
        }

        public static func call(_ name: String, _ arguments: JSONValue = [:], thought: String = "") -> Turn {
            Turn(content: thought, toolCalls: [(name, arguments.encoded())])
        }

        public static func == (lhs: Turn, rhs: Turn) -> Bool {
            lhs.content == rhs.content && lhs.toolCalls.map { $0.name + "\0" + $0.arguments } == rhs.toolCalls.map { $0.name + "\0" + $0.arguments }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(content)
            for call in toolCalls {
                hasher.combine(call.name)
                hasher.combine(call.arguments)
            }
        }
    }

    public let identifier: String
    public let pricing: ModelPricing?
    private let turns: [Turn]
    private let whenExhausted: Turn?
    private let position = Mutex(0)
    /// Token counts reported per turn; estimated from text length so budgets can be tested.
    private let reportsEstimatedUsage: Bool
    /// Seconds each answer takes, to stand in for a real model's latency.
    private let delay: Double

    public init(
        turns: [Turn], identifier: String = "scripted", whenExhausted: Turn? = .call("submit"),
        pricing: ModelPricing? = .free, reportsEstimatedUsage: Bool = true, delay: Double = 0
    ) {
        self.delay = delay
        self.turns = turns
        self.identifier = identifier
        self.whenExhausted = whenExhausted
        self.pricing = pricing
        self.reportsEstimatedUsage = reportsEstimatedUsage
    }

    /// Reads a script file (see the type's documentation for the shape).
    public convenience init(scriptAt path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ModelError(.badRequest, "cannot read the script \(path): \(error.localizedDescription)")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch {
            throw ModelError(.badRequest, "script \(path) is not valid JSON: \(error)")
        }
        guard let list = document.arrayValue ?? document["turns"]?.arrayValue else {
            throw ModelError(.badRequest, "script \(path) must be a JSON array of turns (or an object with a \"turns\" array)")
        }
        var turns: [Turn] = []
        for (index, item) in list.enumerated() {
            guard item.objectValue != nil else {
                throw ModelError(.badRequest, "script \(path): turn \(index + 1) is not an object")
            }
            var calls: [(name: String, arguments: String)] = []
            for call in item["tool_calls"]?.arrayValue ?? [] {
                let function = call["function"] ?? call
                guard let name = function["name"]?.stringValue else {
                    throw ModelError(.badRequest, "script \(path): a tool call in turn \(index + 1) has no \"name\"")
                }
                let arguments = function["arguments"]
                calls.append((name, arguments?.stringValue ?? (arguments ?? [:]).encoded()))
            }
            turns.append(Turn(content: item["content"]?.stringValue ?? "", toolCalls: calls))
        }
        var delay = 0.0
        if let value = document["delay"], !value.isNull {
            guard let seconds = value.doubleValue, seconds >= 0, seconds <= 3600 else {
                throw ModelError(.badRequest, "script \(path): \"delay\" must be a number of seconds from 0 to 3600")
            }
            delay = seconds
        }
        self.init(turns: turns, identifier: "scripted:\((path as NSString).lastPathComponent)", delay: delay)
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        if delay > 0 { try await Task.sleep(for: .seconds(delay)) }
        let index = position.withLock { value -> Int in
            defer { value += 1 }
            return value
        }
        guard let turn = index < turns.count ? turns[index] : whenExhausted else {
            throw ModelError(.exhausted, "the scripted model has no turn \(index + 1) (its script has \(turns.count))")
        }
        let calls = turn.toolCalls.enumerated().map { offset, call in
            ToolCall(id: "call_\(index + 1)_\(offset + 1)", name: call.name, arguments: call.arguments)
        }
        let message = ChatMessage.assistant(turn.content, toolCalls: calls)
        var usage = TokenUsage()
        if reportsEstimatedUsage {
            usage.inputTokens = request.messages.reduce(0) { $0 + TokenEstimator.estimate($1.content) + 4 }
            usage.outputTokens = TokenEstimator.estimate(turn.content)
                + calls.reduce(0) { $0 + TokenEstimator.estimate($1.arguments) + 4 }
        }
        return ChatResponse(
            message: message, usage: usage, finishReason: calls.isEmpty ? "stop" : "tool_calls", latency: delay)
    }
}

/// A rough token count for text whose tokenizer is unknown: about four characters a
/// token for English and code (the rule of thumb OpenAI documents for its tokenizers).
public enum TokenEstimator {
    public static func estimate(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }
}

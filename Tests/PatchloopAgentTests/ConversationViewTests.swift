@testable import PatchloopAgent
import PatchloopCore
import PatchloopModels
import Testing

/// The view, its elided count and its token estimate are kept incrementally; these tests
/// hold them to what building them from scratch (the loop's former way) gives.
@Suite("Conversation view kept as history grows")
struct ConversationViewTests {
    /// The view built from scratch, counting every observation: the definition the kept view must match.
    static func referenceView(_ conversation: Conversation, _ settings: ContextSettings) -> [ChatMessage] {
        var messages = conversation.preamble
        if let summary = conversation.summary { messages.append(.user(summary)) }
        let boundary = conversation.elisionBoundary(settings)
        for index in conversation.compactedSteps..<conversation.steps.count {
            let step = conversation.steps[index]
            for message in step {
                if index < boundary, message.role == .tool, message.content.count > Conversation.elisionMinimum {
                    let stub = Conversation.stub(for: message, characters: message.content.count, in: step)
                    messages.append(.tool(stub, callID: message.toolCallID ?? "", name: message.name ?? ""))
                } else {
                    messages.append(message)
                }
            }
        }
        return messages
    }

    static func referenceElided(_ conversation: Conversation, _ settings: ContextSettings) -> Int {
        let boundary = conversation.elisionBoundary(settings)
        guard boundary > conversation.compactedSteps else { return 0 }
        return conversation.steps[conversation.compactedSteps..<boundary].reduce(0) { count, step in
            count + step.filter { $0.role == .tool && $0.content.count > Conversation.elisionMinimum }.count
        }
    }

    /// A step of one or two calls whose observations are short, long, or long in multi-byte
    /// characters (fewer characters than bytes), or a reply without a call.
    static func step(_ index: Int) -> [ChatMessage] {
        if index % 11 == 7 { return [.assistant("no call"), .user(Prompts.noToolCall)] }
        let calls = (0..<(index % 4 == 0 ? 2 : 1)).map { ToolCall(id: "c\(index)_\($0)", name: "read_file", arguments: #"{"path": "f\#(index)_\#($0)"}"#) }
        var messages = [ChatMessage.assistant("step \(index)", toolCalls: calls)]
        for (offset, call) in calls.enumerated() {
            let text: String
            switch (index + offset) % 4 {
            case 0: text = "short"
            case 1: text = String(repeating: "x", count: 1000 + index)
            case 2: text = String(repeating: "é", count: 200)  // 400 bytes but 200 characters: stays whole
            default: text = String(repeating: "日本", count: 400)
            }
            messages.append(.tool(text, callID: call.id, name: call.name))
        }
        return messages
    }

    static let tools = [ToolSpec(name: "read_file", description: "Reads a file.", parameters: ["type": "object"])]

    func expectMatchesReference(_ conversation: inout Conversation, _ settings: ContextSettings, refresh: Bool) {
        let expected = ConversationViewTests.referenceView(conversation, settings)
        let view = refresh ? conversation.refreshView(settings) : conversation.view(settings)
        #expect(view == expected)
        #expect(conversation.view(settings) == expected)
        #expect(conversation.elidedCount(settings) == ConversationViewTests.referenceElided(conversation, settings))
        let toolTokens = Conversation.rawEstimate([], tools: ConversationViewTests.tools)
        let estimate = conversation.estimateInput(settings, toolTokens: toolTokens)
        #expect(estimate.raw == Conversation.rawEstimate(expected, tools: ConversationViewTests.tools))
        if let reported = conversation.lastReportedInput {
            #expect(estimate.estimate == max(0, reported + estimate.raw - conversation.lastEstimate))
        } else {
            #expect(estimate.estimate == estimate.raw)
        }
    }

    @Test("step by step through elision batches, compactions and reported counts, the kept view is the one built afresh",
        arguments: [
            ContextSettings(), ContextSettings(keepObservations: 3, elisionBatch: 1), ContextSettings(keepObservations: 0, elisionBatch: 7),
            ContextSettings.linear,
        ])
    func matchesReference(settings: ContextSettings) {
        var conversation = Conversation(preamble: [.system("system"), .user("instance")])
        for index in 0..<120 {
            conversation.steps.append(ConversationViewTests.step(index))
            if index % 9 == 0 { conversation.lastReportedInput = 5_000 + index }
            if index % 13 == 5 { conversation.lastEstimate = 4_000 + index }
            if index == 40 || index == 90 {
                // A compaction: a summary stands for all but the latest steps.
                conversation.summary = "Summary of steps 1-\(index - 3)"
                conversation.compactedSteps = index - 3
                conversation.lastReportedInput = nil
            }
            expectMatchesReference(&conversation, settings, refresh: index % 3 != 0)
        }
    }

    @Test("other settings, or a history changed other than by appending, give a view built afresh")
    func rebuildsWhenNotAppended() {
        var conversation = Conversation(preamble: [.system("system"), .user("instance")])
        for index in 0..<30 { conversation.steps.append(ConversationViewTests.step(index)) }
        expectMatchesReference(&conversation, ContextSettings(), refresh: true)
        expectMatchesReference(&conversation, ContextSettings(keepObservations: 2, elisionBatch: 4), refresh: true)
        conversation.steps[25] = [.assistant("edited"), .user("feedback")]
        expectMatchesReference(&conversation, ContextSettings(keepObservations: 2, elisionBatch: 4), refresh: true)
        conversation.steps.removeLast(10)
        expectMatchesReference(&conversation, ContextSettings(keepObservations: 2, elisionBatch: 4), refresh: false)
        conversation.steps.append(ConversationViewTests.step(99))
        expectMatchesReference(&conversation, ContextSettings(keepObservations: 2, elisionBatch: 4), refresh: true)
    }
}

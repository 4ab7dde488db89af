import Foundation
import PatchloopCore

/// Tool calling for models that have none: the tools are described in the system
/// prompt, the model writes its call as a fenced block, and this adapter turns the
/// block into a tool call (and tool results back into user messages).
///
/// ````
/// ```tool
/// {"name": "read_file", "arguments": {"path": "src/app.py"}}
/// ```
/// ````
public struct TextActionModel: ChatModel {
    public let base: any ChatModel

    public init(wrapping base: any ChatModel) {
        self.base = base
    }

    public var identifier: String { base.identifier }
    public var pricing: ModelPricing? { base.pricing }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        var response = try await base.complete(TextActionModel.textRequest(request))
        let (text, call) = TextActionModel.parse(response.message.content, callNumber: request.messages.count)
        response.message = .assistant(text, toolCalls: call.map { [$0] } ?? [])
        if call != nil { response.finishReason = "tool_calls" }
        response.toolMode = ToolMode.text.rawValue
        return response
    }

    /// The request without native tools: instructions in the system prompt, earlier
    /// calls as fenced blocks, tool results as user messages.
    static func textRequest(_ request: ChatRequest) -> ChatRequest {
        var messages: [ChatMessage] = []
        for message in request.messages {
            switch message.role {
            case .system:
                messages.append(.system(message.content + "\n\n" + instructions(for: request.tools)))
            case .assistant:
                var text = message.content
                for call in message.toolCalls {
                    let arguments = (try? JSONValue.parse(call.arguments)) ?? .string(call.arguments)
                    let block: JSONValue = ["name": .string(call.name), "arguments": arguments]
                    text += (text.isEmpty ? "" : "\n\n") + "```tool\n" + block.encoded() + "\n```"
                }
                messages.append(.assistant(text))
            case .tool:
                messages.append(.user("Result of \(message.name ?? "the tool"):\n" + message.content))
            case .user:
                messages.append(message)
            }
        }
        if !messages.contains(where: { $0.role == .system }) {
            messages.insert(.system(instructions(for: request.tools)), at: 0)
        }
        return ChatRequest(messages: messages, tools: [], temperature: request.temperature, maxOutputTokens: request.maxOutputTokens)
    }

    static func instructions(for tools: [ToolSpec]) -> String {
        var text = """
            You call tools by writing exactly one fenced block per reply, after your reasoning:
            ```tool
            {"name": "TOOL_NAME", "arguments": {…}}
            ```
            The block must hold one JSON object with "name" and "arguments". The tools:
            """
        for tool in tools {
            text += "\n- \(tool.name): \(tool.description)\n  arguments (JSON Schema): \(tool.parameters.encoded())"
        }
        return text
    }

    /// Splits a reply into its text and the call in its first tool block (if any).
    /// A block that does not parse still becomes a call, so the agent tells the model
    /// what was wrong with it.
    static func parse(_ reply: String, callNumber: Int) -> (String, ToolCall?) {
        let openers = ["```tool", "```json", "```"]
        for opener in openers {
            guard let start = reply.range(of: opener) else { continue }
            let afterOpener = reply[start.upperBound...]
            guard let end = afterOpener.range(of: "```") else { continue }
            let body = afterOpener[..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            let text = (String(reply[..<start.lowerBound]) + String(afterOpener[end.upperBound...])).trimmingCharacters(in: .whitespacesAndNewlines)
            let id = "text_call_\(callNumber)"
            if let parsed = try? JSONValue.parse(body), let name = parsed["name"]?.stringValue {
                let arguments = parsed["arguments"] ?? parsed["parameters"] ?? [:]
                return (text, ToolCall(id: id, name: name, arguments: arguments.stringValue ?? arguments.encoded()))
            }
            if opener == "```tool" {
                let name = body.firstMatch(of: /"name"\s*:\s*"([^"]+)"/).map { String($0.1) } ?? "invalid_tool_block"
                return (text, ToolCall(id: id, name: name, arguments: body))
            }
        }
        return (reply, nil)
    }
}

import Foundation
import PatchloopCore

/// How a server is asked to decode only a valid action (`--tool-mode constrained`).
///
/// | mechanism | what is sent | servers |
/// |---|---|---|
/// | `json_schema` | `response_format: {"type": "json_schema", "json_schema": {"name": "action", "schema": S}}` | OpenAI, vLLM, SGLang, llama.cpp's `llama-server`, LM Studio |
/// | `json_object` | `response_format: {"type": "json_object", "schema": S}` | llama-cpp-python (`local`; 0.3.x accepts only `text` and `json_object`) |
/// | `grammar` | `grammar: "<GBNF of S>"` | llama.cpp's `llama-server` and llama-cpp-python, where a schema is not taken |
/// | `tool_choice` | the tools with `strict: true`, `tool_choice: "required"`, `parallel_tool_calls: false` | OpenAI, vLLM ≥ 0.8.3 (`required` uses its structured output) |
///
/// S is `ConstrainedAction.schema(for:)`: a `oneOf` with one alternative per tool,
/// `{"name": TOOL, "parameters": {…that tool's arguments…}}`. The three decoding
/// mechanisms answer with that object as the message text; `tool_choice` answers with an
/// ordinary tool call. Either way the adapter hands the agent an ordinary `ToolCall`.
public enum ConstrainedDecoding: String, Sendable, CaseIterable {
    case jsonSchema = "json_schema"
    case jsonObject = "json_object"
    case grammar
    case toolChoice = "tool_choice"

    /// Whether the answer comes back as text holding the action (all but `tool_choice`).
    var answersInText: Bool { self != .toolChoice }
}

/// The action object a constrained reply holds, both ways: the schema (and its GBNF)
/// sent to the server, the conversation re-encoded for it, and the reply parsed back.
public enum ConstrainedAction {
    /// One JSON object naming one of `tools` with arguments matching that tool's schema.
    /// Arguments allow no properties beyond the tool's own (a small model would otherwise
    /// invent some). Keys are written sorted, so `name` comes before `parameters`: the
    /// model picks the tool first, then fills its arguments.
    ///
    /// `maxStringLength` bounds every string argument (and lists to 10 items), so that a
    /// small model that rambles inside a string still closes the object before the answer's
    /// token limit cuts it off (an unfinished object is no action at all).
    public static func schema(for tools: [ToolSpec], maxStringLength: Int? = nil) -> JSONValue {
        let alternatives: [JSONValue] = tools.map { tool in
            [
                "type": "object",
                "properties": ["name": ["const": .string(tool.name)], "parameters": closed(tool.parameters, maxStringLength: maxStringLength)],
                "required": ["name", "parameters"],
                "additionalProperties": false,
            ]
        }
        return ["oneOf": .array(alternatives)]
    }

    /// The longest string argument an answer of `tokens` tokens can hold with room to close
    /// the object: half the token count in characters (an edit has two strings); nil (no
    /// bound) when the answer's length is left to the server.
    static func stringBound(forOutputTokens tokens: Int?) -> Int? {
        tokens.map { max(32, $0 / 2) }
    }

    /// A tool's argument schema without room for undeclared properties (and without the
    /// descriptions, which the system prompt already carries).
    static func closed(_ schema: JSONValue, maxStringLength: Int? = nil) -> JSONValue {
        guard var members = schema.objectValue else { return schema }
        members["description"] = nil
        switch members["type"]?.stringValue {
        case "object":
            members["additionalProperties"] = false
            if members["properties"] == nil { members["properties"] = [:] }
        case "string":
            if let maxStringLength, members["maxLength"] == nil { members["maxLength"] = .number(Double(maxStringLength)) }
        case "array":
            if maxStringLength != nil, members["maxItems"] == nil { members["maxItems"] = 10 }
        default:
            break
        }
        if let properties = members["properties"]?.objectValue {
            members["properties"] = .object(properties.mapValues { closed($0, maxStringLength: maxStringLength) })
        }
        if let items = members["items"] { members["items"] = closed(items, maxStringLength: maxStringLength) }
        return .object(members)
    }

    /// What the system prompt says in the modes where no `tools` travel with the request.
    static func instructions(for tools: [ToolSpec]) -> String {
        var text = """
            Every reply is exactly one JSON object that calls one tool: {"name": TOOL, "parameters": {…}}. The tools:
            """
        for tool in tools {
            text += "\n- \(tool.name): \(tool.description)\n  parameters (JSON Schema): \(tool.parameters.encoded())"
        }
        return text
    }

    /// The conversation for a server that answers in text: tool descriptions in the system
    /// prompt, earlier calls as the action objects the model wrote, tool results as user
    /// messages (chat templates without tool roles — llama-cpp-python's `chatml` — drop
    /// `tool` messages silently).
    static func textConversation(_ request: ChatRequest) -> [ChatMessage] {
        var messages: [ChatMessage] = []
        for message in request.messages {
            switch message.role {
            case .system:
                messages.append(.system(message.content + "\n\n" + instructions(for: request.tools)))
            case .assistant:
                let actions = message.toolCalls.map { encode($0) }
                messages.append(.assistant(actions.isEmpty ? message.content : actions.joined(separator: "\n")))
            case .tool:
                messages.append(.user("Result of \(message.name ?? "the tool"):\n" + message.content))
            case .user:
                messages.append(message)
            }
        }
        if !messages.contains(where: { $0.role == .system }) {
            messages.insert(.system(instructions(for: request.tools)), at: 0)
        }
        return mergingConsecutiveUsers(messages)
    }

    /// A tool result followed by the loop's own note would be two user turns in a row,
    /// which some chat templates reject; they are sent as one.
    private static func mergingConsecutiveUsers(_ messages: [ChatMessage]) -> [ChatMessage] {
        var merged: [ChatMessage] = []
        for message in messages {
            if message.role == .user, let last = merged.last, last.role == .user {
                merged[merged.count - 1].content += "\n\n" + message.content
            } else {
                merged.append(message)
            }
        }
        return merged
    }

    /// A recorded call as the action object the model would have written.
    static func encode(_ call: ToolCall) -> String {
        let arguments = (try? JSONValue.parse(call.arguments)) ?? .string(call.arguments)
        return JSONValue.object(["name": .string(call.name), "parameters": arguments]).encoded()
    }

    /// The reply's action as a tool call; nil when the text holds no action object (a
    /// server that ignored the constraint, or an answer cut off at the token limit).
    /// `arguments` and `name`/`tool` are accepted too: some servers' own formats use them.
    public static func parse(_ text: String, callID: String) -> ToolCall? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let object = try? JSONValue.parse(trimmed), object.objectValue != nil,
            let name = object["name"]?.stringValue ?? object["tool"]?.stringValue
        else { return nil }
        let arguments = object["parameters"] ?? object["arguments"] ?? [:]
        return ToolCall(id: callID, name: name, arguments: arguments.stringValue ?? arguments.encoded())
    }
}

// MARK: - GBNF

extension ConstrainedAction {
    /// The schema as a GBNF grammar (llama.cpp's format), for servers that take a grammar
    /// but no schema. Covers what tool schemas use: objects with required and optional
    /// properties (no others), strings, integers, numbers, booleans, arrays, `const`,
    /// `enum`, `oneOf`/`anyOf`. Whitespace is at most one space, so a model cannot run
    /// away in blanks.
    public static func grammar(for tools: [ToolSpec], maxStringLength: Int? = nil) -> String {
        var builder = GrammarBuilder()
        let root = builder.rule(for: schema(for: tools, maxStringLength: maxStringLength), name: "action")
        builder.rules["root"] = root
        return builder.rendered()
    }
}

struct GrammarBuilder {
    var rules: [String: String] = [
        "space": #"" "?"#,
        "char": #"[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])"#,
        "string": #""\"" char* "\"" space"#,
        "integer": #""-"? ([0-9] | [1-9] [0-9]{0,15}) space"#,
        "number": #""-"? ([0-9] | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,15})? space"#,
        "boolean": #"("true" | "false") space"#,
        "null": #""null" space"#,
    ]

    /// Adds the rules `schema` needs under names starting with `name`; returns the
    /// expression that matches it.
    mutating func rule(for schema: JSONValue, name: String) -> String {
        if let constant = schema["const"] { return literal(constant) }
        if let options = schema["enum"]?.arrayValue { return "(" + options.map(literal).joined(separator: " | ") + ")" }
        if let alternatives = (schema["oneOf"] ?? schema["anyOf"])?.arrayValue {
            let names = alternatives.enumerated().map { index, alternative in define("\(name)-\(index)", rule(for: alternative, name: "\(name)-\(index)")) }
            return "(" + names.joined(separator: " | ") + ")"
        }
        switch schema["type"]?.stringValue {
        case "object": return objectRule(schema, name: name)
        case "array":
            let item = define(name + "-item", rule(for: schema["items"] ?? [:], name: name + "-item"))
            let more = schema["maxItems"]?.intValue.map { "{0,\(max(0, $0 - 1))}" } ?? "*"
            return #""[" space ("# + item + #" ("," space "# + item + ")" + more + #")? "]" space"#
        case "string":
            guard let limit = schema["maxLength"]?.intValue else { return "string" }
            return define("string-\(limit)", #""\"" char{0,"# + "\(limit)" + #"} "\"" space"#)
        case "integer": return "integer"
        case "number": return "number"
        case "boolean": return "boolean"
        case "null": return "null"
        default: return "string"
        }
    }

    private mutating func objectRule(_ schema: JSONValue, name: String) -> String {
        let properties = schema["properties"]?.objectValue ?? [:]
        let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        // Required properties first, then optional ones, each group in sorted order (the
        // order `encoded()` writes them in).
        let keys = properties.keys.sorted { (required.contains($0) ? 0 : 1, $0) < (required.contains($1) ? 0 : 1, $1) }
        var pairs: [(key: String, rule: String, required: Bool)] = []
        for key in keys {
            let valueRule = define("\(name)-\(sanitized(key))", rule(for: properties[key] ?? [:], name: "\(name)-\(sanitized(key))"))
            pairs.append((key, literal(.string(key)) + #" ":" space "# + valueRule, required.contains(key)))
        }
        let requiredPairs = pairs.filter(\.required).map(\.rule)
        let optionalPairs = pairs.filter { !$0.required }.map(\.rule)
        var body = requiredPairs.joined(separator: #" "," space "#)
        // Optional properties in order, each present or not: `( "," space kv )?` after the
        // required ones, or a leading first one when none is required.
        if requiredPairs.isEmpty {
            // No comma before whichever optional property comes first.
            let chains = optionalPairs.indices.map { optionalsChain(Array(optionalPairs[$0...])) }
            body = chains.isEmpty ? "" : "(" + chains.joined(separator: " | ") + ")?"
        } else {
            body += optionalPairs.map { #" ("," space "# + $0 + ")?" }.joined()
        }
        return #""{" space "# + body + #" "}" space"#
    }

    /// The optional properties `pairs` in order, the first present (with no comma before it).
    private func optionalsChain(_ pairs: [String]) -> String {
        guard let first = pairs.first else { return "" }
        return "(" + first + pairs.dropFirst().map { #" ("," space "# + $0 + ")?" }.joined() + ")"
    }

    private mutating func define(_ name: String, _ expression: String) -> String {
        rules[name] = expression
        return name
    }

    private func sanitized(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    /// A JSON value written out exactly, as a GBNF string literal.
    private func literal(_ value: JSONValue) -> String {
        let json = value.encoded()
        let escaped = json.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escaped + "\" space"
    }

    func rendered() -> String {
        let order = ["root"] + rules.keys.filter { $0 != "root" }.sorted()
        return order.compactMap { name in rules[name].map { "\(name) ::= \($0)" } }.joined(separator: "\n") + "\n"
    }
}

import Foundation
import PatchloopCore

/// The tools offered to the model, and the one place a raw tool call is checked and
/// dispatched: an unknown name or arguments that do not parse become an error
/// observation that tells the model what to send instead.
public struct Toolbox: Sendable {
    public let tools: [any Tool]

    public init(tools: [any Tool]) {
        self.tools = tools
    }

    /// The five contract tools: `read_file`, `edit`, `search`, `run_tests`, `submit`.
    public static let standard = Toolbox(tools: [ReadFileTool(), EditTool(), SearchTool(), RunTestsTool(), SubmitTool()])

    public var specs: [ToolSpec] { tools.map(\.spec) }

    public func tool(named name: String) -> (any Tool)? {
        tools.first { $0.name == name }
    }

    /// The largest argument text one call may send (a whole-file edit fits many times over).
    public static let maximumArgumentBytes = 1 << 20

    /// Runs one call given as a name and raw JSON argument text.
    public func run(name: String, argumentsJSON: String, context: ToolContext) async -> Observation {
        let size = argumentsJSON.utf8.count
        if size > Toolbox.maximumArgumentBytes {
            return .error(
                "the arguments of this call are \(size) bytes; at most \(Toolbox.maximumArgumentBytes) are accepted. Send smaller edits.",
                facts: ["format_error": true, "argument_bytes": .number(Double(size))])
        }
        guard name.utf8.count <= 200, let tool = tool(named: name) else {
            let known = tools.map(\.name).joined(separator: ", ")
            let shown = name.count > 60 ? String(name.prefix(57)) + "…" : name
            return .error("unknown tool '\(shown)'. The available tools are: \(known).", facts: ["format_error": true])
        }
        let trimmed = argumentsJSON.trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed: JSONValue
        do {
            parsed = trimmed.isEmpty ? .object([:]) : try JSONValue.parse(trimmed)
        } catch {
            return .error(
                "the arguments of \(name) are not valid JSON (\(error)). Send one JSON object, e.g. \(example(for: tool)).",
                facts: ["format_error": true])
        }
        guard let object = parsed.objectValue ?? (parsed.isNull ? [:] : nil) else {
            return .error("the arguments of \(name) must be a JSON object, e.g. \(example(for: tool)).", facts: ["format_error": true])
        }
        let unknown = Set(object.keys).subtracting(tool.parameters["properties"]?.objectValue?.keys ?? [:].keys)
        if !unknown.isEmpty {
            let allowed = (tool.parameters["properties"]?.objectValue?.keys.sorted() ?? []).joined(separator: ", ")
            return .error(
                "\(name) has no argument \(unknown.sorted().map { "'\($0)'" }.joined(separator: ", ")); its arguments are: \(allowed.isEmpty ? "none" : allowed).",
                facts: ["format_error": true])
        }
        return await tool.run(arguments: ToolArguments(object), context: context)
    }

    private func example(for tool: any Tool) -> String {
        let required = tool.parameters["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let fields = required.map { "\"\($0)\": …" }.joined(separator: ", ")
        return "{\(fields)}"
    }
}

import ArgumentParser
import Foundation
import PatchloopEval
import PatchloopModels

/// The model options every command that runs the agent shares.
struct ModelOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "PROVIDER:NAME, e.g. openai:gpt-4.1-mini, anthropic:claude-sonnet-4-5, openai-compatible:NAME (with --base-url), local, replay:TRAJECTORY, scripted:gold.",
            discussion: "Default: anthropic:claude-sonnet-4-5 when ANTHROPIC_API_KEY is set, else openai:gpt-4.1-mini when OPENAI_API_KEY is set, else local."))
    var model: String?

    @Option(help: "API root for openai, openai-compatible and anthropic (default: the provider's, or OPENAI_BASE_URL / ANTHROPIC_BASE_URL).")
    var baseURL: String?

    @Flag(help: "Wait for whole responses instead of streaming them.")
    var noStream = false

    @Option(
        help: ArgumentHelp(
            "How tool calls travel: native (the provider's tool calling), constrained (the server decodes only a valid action) or text (fenced blocks). Default: constrained for local, else native.",
            discussion: "constrained needs an OpenAI-compatible server; --constraint says how it is asked."))
    var toolMode: String?

    @Option(
        help: ArgumentHelp(
            "How --tool-mode constrained asks the server: json_schema (response_format json_schema: vLLM, SGLang, llama-server, OpenAI), json_object (response_format json_object with a schema: llama-cpp-python), grammar (a GBNF grammar: llama.cpp), tool_choice (tool_choice required). Default: json_object for local, else json_schema."
        ))
    var constraint: String?

    @Option(help: "Requests the model's endpoint may be answering at once; workers wait for a free slot (default: 1 for local, else no limit).")
    var modelConcurrency: Int?

    @Option(help: "Retries of a failed model request (connection errors, 408, 409, 429, 5xx, 529).")
    var maxRetries: Int = 2

    @Option(help: "Seconds without a byte from the model before the request is abandoned.")
    var idleTimeout: Double = 120

    @Option(help: "A JSON file of prices to add or override: {\"MODEL\": {\"input\": 3, \"output\": 15, \"cached_input\": 0.3}} ($ per million tokens).")
    var prices: String?

    @Option(help: "Most tokens in one model answer (default: the provider's; 384 for the local model).")
    var maxOutputTokens: Int?

    func validate() throws {
        try OptionRange.count(maxRetries, "--max-retries", from: 0, to: 100)
        try OptionRange.seconds(idleTimeout, "--idle-timeout")
        if let maxOutputTokens { try OptionRange.count(maxOutputTokens, "--max-output-tokens", to: 100_000_000) }
        if let modelConcurrency { try OptionRange.count(modelConcurrency, "--model-concurrency", from: 1, to: 10_000) }
    }

    func configuration() throws -> ModelConfiguration {
        let spec = try model.map(ModelSpec.init) ?? ModelConfiguration.defaultSpec()
        var mode: ToolMode?
        if let toolMode {
            guard let parsed = ToolMode(rawValue: toolMode) else {
                throw CLIError("--tool-mode must be \(ToolMode.allCases.map(\.rawValue).joined(separator: ", ")), not '\(toolMode)'")
            }
            mode = parsed
        }
        var mechanism: ConstrainedDecoding?
        if let constraint {
            guard let parsed = ConstrainedDecoding(rawValue: constraint) else {
                throw CLIError("--constraint must be \(ConstrainedDecoding.allCases.map(\.rawValue).joined(separator: ", ")), not '\(constraint)'")
            }
            mechanism = parsed
        }
        try validate()
        return ModelConfiguration(
            spec: spec, baseURL: baseURL, stream: !noStream, toolMode: mode, maxRetries: maxRetries, idleTimeout: idleTimeout, pricesFile: prices,
            maxOutputTokens: maxOutputTokens, constraint: mechanism, modelConcurrency: modelConcurrency)
    }
}

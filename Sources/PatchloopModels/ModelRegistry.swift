import Foundation
import PatchloopCore
import PatchloopHTTP
import PatchloopWorkspace

/// A `--model` value: `provider:name`.
public struct ModelSpec: Sendable, Hashable, CustomStringConvertible {
    public var provider: String
    public var name: String

    /// Parses `provider:name`; the name may itself contain colons (`scripted:/tmp/a:b.json`).
    /// `local` alone names the bundled local model.
    public init(_ text: String) throws {
        if text == "local" {
            provider = "local"
            name = LocalModel.defaultName
            return
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw ModelSpecError("--model '\(text)' has no provider: write it as PROVIDER:NAME, e.g. openai:gpt-4.1-mini (providers: \(ModelRegistry.standard.providerNames.joined(separator: ", ")))")
        }
        provider = String(text[..<colon])
        name = String(text[text.index(after: colon)...])
        guard ModelRegistry.standard.providerNames.contains(provider) else {
            throw ModelSpecError("--model '\(text)': unknown provider '\(provider)' (providers: \(ModelRegistry.standard.providerNames.joined(separator: ", ")))")
        }
        guard !name.isEmpty else { throw ModelSpecError("--model '\(text)': the model name after '\(provider):' is empty") }
    }

    public var description: String { "\(provider):\(name)" }
}

/// A `--model` value that cannot be used.
public struct ModelSpecError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Everything the command line says about the model, as one value.
public struct ModelConfiguration: Sendable, Codable {
    public var spec: ModelSpec
    /// The API root for `openai-compatible`, `openai` and `anthropic` (overrides the default).
    public var baseURL: String?
    /// Stream answers (Server-Sent Events); off waits for whole responses.
    public var stream: Bool
    /// Native tool calling, constrained decoding or the text-action fallback; nil picks per
    /// model (`constrained` for `local`).
    public var toolMode: ToolMode?
    /// How `constrained` mode asks the server; nil: `json_object` for `local`
    /// (llama-cpp-python), `json_schema` for every other OpenAI-compatible server.
    public var constraint: ConstrainedDecoding?
    /// Requests one endpoint may be answering at once; nil: 1 for `local` (its server has
    /// one slot), no limit for the others.
    public var modelConcurrency: Int?
    /// Retries of a failed request.
    public var maxRetries: Int
    /// Seconds without a byte before a request is abandoned.
    public var idleTimeout: Double
    /// A JSON file of extra prices (`{"model": {"input": 3, "output": 15, "cached_input": 0.3}}`, $ per million tokens).
    public var pricesFile: String?
    /// The most tokens one answer may have; nil: the provider's default (8,192 for
    /// Anthropic, which requires one; 384 for the local model, which otherwise rambles).
    public var maxOutputTokens: Int?
    /// The process environment (keys and `OPENAI_BASE_URL` come from it).
    public var environment: [String: String]
    /// What the server said about itself (`probingServer()`), for the run's start line; never written.
    public var probed: ServerCapabilities?

    public init(
        spec: ModelSpec, baseURL: String? = nil, stream: Bool = true, toolMode: ToolMode? = nil, maxRetries: Int = 2, idleTimeout: Double = 120,
        pricesFile: String? = nil, maxOutputTokens: Int? = nil, constraint: ConstrainedDecoding? = nil, modelConcurrency: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.constraint = constraint
        self.modelConcurrency = modelConcurrency
        self.maxOutputTokens = maxOutputTokens
        self.spec = spec
        self.baseURL = baseURL
        self.stream = stream
        self.toolMode = toolMode
        self.maxRetries = maxRetries
        self.idleTimeout = idleTimeout
        self.pricesFile = pricesFile
        self.environment = environment
    }

    enum CodingKeys: String, CodingKey {
        case spec, baseURL = "base_url", stream, toolMode = "tool_mode", maxRetries = "max_retries", idleTimeout = "idle_timeout"
        case pricesFile = "prices", maxOutputTokens = "max_output_tokens"
    }

    /// This configuration to be written; the environment (keys) never is.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(spec, forKey: .spec)
        try container.encode(baseURL, forKey: .baseURL)
        try container.encode(stream, forKey: .stream)
        try container.encode(toolMode, forKey: .toolMode)
        try container.encode(maxRetries, forKey: .maxRetries)
        try container.encode(idleTimeout, forKey: .idleTimeout)
        try container.encode(pricesFile, forKey: .pricesFile)
        try container.encode(maxOutputTokens, forKey: .maxOutputTokens)
    }

    /// Reads a written configuration back; the environment is this process's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            spec: try container.decode(ModelSpec.self, forKey: .spec), baseURL: try container.decodeIfPresent(String.self, forKey: .baseURL),
            stream: try container.decodeIfPresent(Bool.self, forKey: .stream) ?? true,
            toolMode: try container.decodeIfPresent(ToolMode.self, forKey: .toolMode),
            maxRetries: try container.decodeIfPresent(Int.self, forKey: .maxRetries) ?? 2,
            idleTimeout: try container.decodeIfPresent(Double.self, forKey: .idleTimeout) ?? 120,
            pricesFile: try container.decodeIfPresent(String.self, forKey: .pricesFile),
            maxOutputTokens: try container.decodeIfPresent(Int.self, forKey: .maxOutputTokens))
    }

    /// This configuration with the local model's address, starting its server if it is not
    /// running (`LocalModel.ensureRunning()`); unchanged for every other provider, and when an
    /// address is given. Called once per command or run, not per attempt: the first start
    /// installs the server and can take many minutes.
    public func startingLocalModel() async throws -> ModelConfiguration {
        guard spec.provider == "local", baseURL == nil else { return self }
        var started = self
        started.baseURL = try await LocalModel.ensureRunning()
        return started
    }

    /// The model used when none is named: a hosted one when its key is set, else the local model.
    public static func defaultSpec(environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelSpec {
        if environment["ANTHROPIC_API_KEY"].map({ !$0.isEmpty }) == true {
            return ModelSpec(provider: "anthropic", name: "claude-sonnet-4-5")
        }
        if environment["OPENAI_API_KEY"].map({ !$0.isEmpty }) == true {
            return ModelSpec(provider: "openai", name: "gpt-4.1-mini")
        }
        return ModelSpec(provider: "local", name: LocalModel.defaultName)
    }
}

extension ModelSpec: Codable {
    /// Written as `provider:name`, and read back through the same checks as `--model`.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(text)
        } catch let error as ModelSpecError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    init(provider: String, name: String) {
        self.provider = provider
        self.name = name
    }
}

/// How tool calls travel: the provider's native tool calling, decoding constrained to a
/// valid action (`ConstrainedDecoding`), or fenced text blocks.
public enum ToolMode: String, Sendable, CaseIterable, Codable {
    case native, constrained, text
}

/// What a provider may need of the task a model is made for.
public struct ModelContext: Sendable {
    /// The task's name, for messages.
    public var taskName: String
    /// The reference fix `scripted:gold` replays; nil when none is known (`solve`).
    public var goldPatch: String?

    public init(taskName: String, goldPatch: String? = nil) {
        self.taskName = taskName
        self.goldPatch = goldPatch
    }
}

/// Makes models by provider name. Each provider registers here and nowhere else; a
/// command asks `ModelRegistry.standard` for the model of each task.
///
/// - `openai`, `openai-compatible`, `anthropic`, `local`: the provider adapters;
/// - `replay:PATH` answers as a recorded trajectory did;
/// - `scripted:gold` replays the task's gold patch as `edit` calls (a harness check);
///   `scripted:empty` submits at once; `scripted:PATH` answers from a JSON script.
public struct ModelRegistry: Sendable {
    /// Makes one provider's model.
    public typealias Maker = @Sendable (ModelConfiguration, ModelContext) throws -> any ChatModel

    private var makers: [String: Maker] = [:]

    public init() {}

    /// Adds (or replaces) a provider.
    public mutating func register(_ provider: String, _ maker: @escaping Maker) {
        makers[provider] = maker
    }

    /// The registered providers, sorted.
    public var providerNames: [String] { makers.keys.sorted() }

    /// The model `configuration` names, for the task `context` describes.
    public func model(_ configuration: ModelConfiguration, for context: ModelContext) throws -> any ChatModel {
        guard let maker = makers[configuration.spec.provider] else {
            throw ModelSpecError("unknown provider '\(configuration.spec.provider)' (providers: \(providerNames.joined(separator: ", ")))")
        }
        var configuration = configuration
        let mode = configuration.toolMode ?? ToolMode.defaultMode(for: configuration.spec)
        configuration.toolMode = mode
        let model = try maker(configuration, context)
        // Scripted models act through native calls whatever the flag says.
        guard configuration.spec.provider != "scripted" else { return model }
        let acting = mode == .text ? TextActionModel(wrapping: model) : model
        guard let limit = configuration.concurrencyLimit else { return acting }
        let key = configuration.spec.provider + " " + (configuration.baseURL ?? "")
        // llama-cpp-python (local) finishes a prompt whose client went away; llama-server and
        // vLLM stop work for a closed connection.
        return SlotLimitedModel(
            wrapping: acting, slots: EndpointSlots.shared(key: key, limit: limit), drainsAbandonedRequests: configuration.spec.provider == "local")
    }

    /// Every provider Patchloop ships.
    public static let standard: ModelRegistry = {
        var registry = ModelRegistry()
        registry.register("openai") { configuration, _ in try openAICompatible(configuration) }
        registry.register("openai-compatible") { configuration, _ in try openAICompatible(configuration) }
        registry.register("anthropic") { configuration, _ in try anthropic(configuration) }
        registry.register("local") { configuration, _ in try local(configuration) }
        registry.register("replay") { configuration, _ in try ReplayModel(trajectoryAt: configuration.spec.name) }
        registry.register("scripted") { configuration, context in try scripted(configuration.spec.name, context: context) }
        return registry
    }()

    // MARK: - The shipped providers

    private static func scripted(_ name: String, context: ModelContext) throws -> any ChatModel {
        switch name {
        case "gold":
            guard let patch = context.goldPatch, !patch.isEmpty else {
                throw ModelSpecError("scripted:gold replays the task's gold.patch, and \(context.taskName) has none")
            }
            return PatchReplayModel.model(for: patch)
        case "empty":
            return ScriptedModel(turns: [.call("submit")], identifier: "scripted:empty")
        default:
            return try ScriptedModel(scriptAt: name)
        }
    }

    private static func openAICompatible(_ configuration: ModelConfiguration) throws -> any ChatModel {
        let spec = configuration.spec
        let official = "https://api.openai.com/v1"
        let baseURL = configuration.baseURL ?? nonEmpty(configuration.environment["OPENAI_BASE_URL"]) ?? (spec.provider == "openai" ? official : nil)
        guard let baseURL else {
            throw ModelSpecError("\(spec) needs the server's address: pass --base-url URL (e.g. http://127.0.0.1:8000/v1) or set OPENAI_BASE_URL")
        }
        let key = nonEmpty(configuration.environment["OPENAI_API_KEY"])
        if key == nil && baseURL == official {
            throw ModelSpecError("\(spec) needs an API key: set OPENAI_API_KEY (or point --base-url at a server that needs none)")
        }
        return OpenAICompatibleModel(
            identifier: spec.description, modelName: spec.name, endpoint: try endpoint(configuration, baseURL: baseURL, key: key),
            pricing: try prices(configuration).price(for: spec.name), maxOutputTokens: configuration.maxOutputTokens,
            constraint: configuration.effectiveConstraint)
    }

    private static func anthropic(_ configuration: ModelConfiguration) throws -> any ChatModel {
        let spec = configuration.spec
        let official = "https://api.anthropic.com"
        let baseURL = configuration.baseURL ?? nonEmpty(configuration.environment["ANTHROPIC_BASE_URL"]) ?? official
        let key = nonEmpty(configuration.environment["ANTHROPIC_API_KEY"])
        if configuration.toolMode == .constrained {
            throw ModelSpecError("\(spec): --tool-mode constrained needs an OpenAI-compatible server; Anthropic's tool calling is already reliable — use --tool-mode native")
        }
        if key == nil && baseURL == official {
            throw ModelSpecError("\(spec) needs an API key: set ANTHROPIC_API_KEY")
        }
        return AnthropicModel(
            identifier: spec.description, modelName: spec.name, endpoint: try endpoint(configuration, baseURL: baseURL, key: key),
            pricing: try prices(configuration).price(for: spec.name), maxOutputTokens: configuration.maxOutputTokens ?? 8192)
    }

    private static func local(_ configuration: ModelConfiguration) throws -> any ChatModel {
        guard let baseURL = configuration.baseURL else {
            throw ModelSpecError("the local model has no address: start it first (ModelConfiguration.startingLocalModel()) or pass --base-url")
        }
        // llama-cpp-python reports usage only in whole (non-streamed) responses.
        var endpoint = try endpoint(configuration, baseURL: baseURL, key: nil)
        endpoint.stream = false
        // A whole response is silent until it is written, and on a busy 2-core machine a
        // long prompt takes minutes: an idle timeout shorter than that abandons a request
        // the server goes on computing, and the retry queues behind it. The slot limit
        // already keeps requests from waiting in the server, so silence here is work.
        endpoint.idleTimeout = max(endpoint.idleTimeout, .seconds(600))
        return OpenAICompatibleModel(
            identifier: configuration.spec.description, modelName: configuration.spec.name, endpoint: endpoint, pricing: .free,
            maxOutputTokens: configuration.maxOutputTokens ?? 384,
            constraint: configuration.effectiveConstraint)
    }

    private static func endpoint(_ configuration: ModelConfiguration, baseURL: String, key: String?) throws -> ProviderEndpoint {
        // Whatever the key's variable is called, its value never reaches a file or the screen.
        if let key { Redactor.shared.register(key) }
        // Clamped before the conversion to Int, which traps on NaN or a number beyond Int's range.
        let idleSeconds = configuration.idleTimeout.isNaN ? 120 : min(max(configuration.idleTimeout, 0.001), 1e9)
        return ProviderEndpoint(
            baseURL: baseURL, apiKey: key, stream: configuration.stream, retry: RetryPolicy(maxRetries: configuration.maxRetries),
            idleTimeout: .milliseconds(Int(idleSeconds * 1000)))
    }

    private static func prices(_ configuration: ModelConfiguration) throws -> PriceTable {
        var prices = PriceTable()
        if let file = configuration.pricesFile { try prices.merge(file: file) }
        return prices
    }

    private static func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
}

extension ModelConfiguration {
    /// How constrained decoding asks this model's server; nil when the mode is not
    /// `constrained`. llama-cpp-python (`local`) takes `json_object` with a schema; vLLM,
    /// SGLang, llama.cpp's `llama-server` and OpenAI take `json_schema`.
    public var effectiveConstraint: ConstrainedDecoding? {
        guard (toolMode ?? ToolMode.defaultMode(for: spec)) == .constrained else { return nil }
        return constraint ?? (spec.provider == "local" ? .jsonObject : .jsonSchema)
    }

    /// One line for the start of a run: the model, its address, how tool calls travel, the
    /// endpoint's slots, and for the local model how fast it answered a short probe.
    public func readinessLine() async -> String {
        var parts = ["model \(spec)"]
        if let baseURL { parts.append(baseURL) }
        let mode = toolMode ?? ToolMode.defaultMode(for: spec)
        parts.append("tool calls: " + (effectiveConstraint.map { "constrained (\($0.rawValue))" } ?? mode.rawValue))
        if let limit = concurrencyLimit { parts.append("\(limit) request\(limit == 1 ? "" : "s") at a time") }
        if let probed { parts.append("probed: " + probed.findings.joined(separator: "; ")) }
        if spec.provider == "local", let baseURL {
            if let speed = await LocalModel.measureSpeed(baseURL: baseURL) {
                parts.append(String(format: "%.0f tokens/s (%d tokens in %.1f s)", speed.tokensPerSecond, speed.tokens, speed.seconds))
            } else {
                parts.append("speed unknown (the probe request failed)")
            }
        }
        return parts.joined(separator: " · ")
    }

    /// Requests the endpoint may be answering at once: `--model-concurrency` (or the slot
    /// count an `openai-compatible` server reported, see `probingServer()`), else 1 for the
    /// local model (llama-cpp-python answers one request at a time), else no limit.
    public var concurrencyLimit: Int? {
        modelConcurrency ?? (spec.provider == "local" ? LocalModel.slots : nil)
    }
}

extension ToolMode {
    /// `constrained` for the local model (a small model answers in prose otherwise); the
    /// text fallback for models known to lack native tool calling; else native.
    static func defaultMode(for spec: ModelSpec) -> ToolMode {
        if spec.provider == "local" { return .constrained }
        let name = spec.name.lowercased()
        let withoutTools = ["o1-mini", "o1-preview", "deepseek-r1", "gemma-2", "phi-3", "llama-2"]
        return withoutTools.contains(where: name.contains) ? .text : .native
    }
}

/// The bundled local model: SmolLM2-135M-Instruct served by llama-cpp-python's
/// OpenAI-compatible server (`scripts/local-model`), on 127.0.0.1.
public enum LocalModel {
    public static let defaultName = "smollm2-135m"
    /// Requests llama-cpp-python's server answers at once (it does not say; it has one).
    public static let slots = 1

    /// Where `scripts/local-model` is: `PATCHLOOP_LOCAL_MODEL_SCRIPT`, or `scripts/` in
    /// the current folder or above the executable (a `swift build` tree).
    public static func script(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["PATCHLOOP_LOCAL_MODEL_SCRIPT"], !explicit.isEmpty { return explicit }
        var candidates = [FileManager.default.currentDirectoryPath]
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(directory.path)
            directory.deleteLastPathComponent()
        }
        return candidates.map { $0 + "/scripts/local-model" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// How fast the server at `baseURL` writes an answer: one short request of up to 48
    /// tokens, timed end to end (prompt processing included, as every step pays it).
    public static func measureSpeed(baseURL: String) async -> (tokensPerSecond: Double, tokens: Int, seconds: Double)? {
        let endpoint = ProviderEndpoint(baseURL: baseURL, apiKey: nil, stream: false, retry: RetryPolicy(maxRetries: 0), idleTimeout: .seconds(120))
        let model = OpenAICompatibleModel(identifier: "local:probe", modelName: defaultName, endpoint: endpoint, pricing: .free, maxOutputTokens: 48)
        let request = ChatRequest(
            messages: [.system("You are a helpful assistant."), .user("Count from one to thirty in words, separated by commas.")], tools: [],
            temperature: 0)
        guard let response = try? await model.complete(request), response.latency > 0, response.usage.outputTokens > 0 else { return nil }
        return (Double(response.usage.outputTokens) / response.latency, response.usage.outputTokens, response.latency)
    }

    /// Starts the local server if it is not running (installing it the first time) and
    /// returns its base URL. The wait (up to 30 minutes for a first install) is on a thread
    /// of the process runner's, not on Swift's cooperative pool.
    public static func ensureRunning() async throws -> String {
        guard let script = script() else {
            throw ModelSpecError("the local model needs scripts/local-model: run patchloop from the Patchloop checkout, or set PATCHLOOP_LOCAL_MODEL_SCRIPT")
        }
        let outcome = try await ProcessRunner().run(
            ProcessSpec(executable: script, arguments: ["start"], timeout: 1800, outputLimit: OutputLimit(headBytes: 65536, tailBytes: 65536)))
        let url = outcome.standardOutput.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init) ?? ""
        guard outcome.succeeded, url.hasPrefix("http") else {
            throw ModelSpecError(
                "could not start the local model (\(script) start: \(outcome.statusDescription)): \(outcome.standardError.text.suffix(1500))")
        }
        return url
    }
}

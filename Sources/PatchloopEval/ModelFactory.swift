import Foundation
import PatchloopCore
import PatchloopHTTP
import PatchloopModels

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
            throw ModelSpecError("--model '\(text)' has no provider: write it as PROVIDER:NAME, e.g. openai:gpt-4.1-mini (providers: \(ModelFactory.providerNames.joined(separator: ", ")))")
        }
        provider = String(text[..<colon])
        name = String(text[text.index(after: colon)...])
        guard ModelFactory.providerNames.contains(provider) else {
            throw ModelSpecError("--model '\(text)': unknown provider '\(provider)' (providers: \(ModelFactory.providerNames.joined(separator: ", ")))")
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
public struct ModelConfiguration: Sendable {
    public var spec: ModelSpec
    /// The API root for `openai-compatible`, `openai` and `anthropic` (overrides the default).
    public var baseURL: String?
    /// Stream answers (Server-Sent Events); off waits for whole responses.
    public var stream: Bool
    /// Native tool calling, or the text-action fallback; nil picks per model.
    public var toolMode: ToolMode?
    /// Retries of a failed request.
    public var maxRetries: Int
    /// Seconds without a byte before a request is abandoned.
    public var idleTimeout: Double
    /// A JSON file of extra prices (`{"model": {"input": 3, "output": 15, "cached_input": 0.3}}`, $ per million tokens).
    public var pricesFile: String?
    /// The process environment (keys and `OPENAI_BASE_URL` come from it).
    public var environment: [String: String]

    public init(
        spec: ModelSpec, baseURL: String? = nil, stream: Bool = true, toolMode: ToolMode? = nil, maxRetries: Int = 2, idleTimeout: Double = 120,
        pricesFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.spec = spec
        self.baseURL = baseURL
        self.stream = stream
        self.toolMode = toolMode
        self.maxRetries = maxRetries
        self.idleTimeout = idleTimeout
        self.pricesFile = pricesFile
        self.environment = environment
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

extension ModelSpec {
    init(provider: String, name: String) {
        self.provider = provider
        self.name = name
    }
}

/// How tool calls travel: the provider's native tool calling, or fenced text blocks.
public enum ToolMode: String, Sendable, CaseIterable {
    case native, text
}

/// Makes the model for one task. Each provider registers here and nowhere else.
///
/// - `scripted:gold` replays the task's gold patch as `edit` calls (a harness check);
///   `scripted:empty` submits at once; `scripted:PATH` answers from a JSON script.
public enum ModelFactory {
    public static let providerNames = ["openai", "openai-compatible", "anthropic", "local", "replay", "scripted"]

    public static func model(_ configuration: ModelConfiguration, for task: TaskInstance) throws -> any ChatModel {
        let spec = configuration.spec
        switch spec.provider {
        case "scripted":
            switch spec.name {
            case "gold":
                guard !task.goldPatch.isEmpty else {
                    throw ModelSpecError("scripted:gold needs the task's gold.patch, and \(task.instanceID) has none")
                }
                return PatchReplayModel.model(for: task.goldPatch)
            case "empty":
                return ScriptedModel(turns: [.call("submit")], identifier: "scripted:empty")
            default:
                return try ScriptedModel(scriptAt: spec.name)
            }
        default:
            return try hostedModel(configuration)
        }
    }

    /// A model that does not depend on the task (every provider but `scripted`).
    public static func hostedModel(_ configuration: ModelConfiguration) throws -> any ChatModel {
        throw ModelSpecError("provider '\(configuration.spec.provider)' is not available yet")
    }
}

/// The bundled local model (SmolLM2-135M served by llama-cpp-python, `scripts/local-model`).
public enum LocalModel {
    public static let defaultName = "smollm2-135m"
}

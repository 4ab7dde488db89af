import Foundation
import PatchloopCore
import PatchloopHTTP

/// What an OpenAI-compatible server says about itself, asked once at the start of a run.
///
/// Probed, in order (each a GET with a short timeout; the key is sent when there is one):
/// - `ROOT/props` (ROOT is the base URL without its `/v1`): llama.cpp's `llama-server`
///   answers with `total_slots`, the requests it answers at once. It decodes
///   `response_format` JSON schemas, so the server is also known to support `json_schema`.
/// - `ROOT/slots`: llama-server's per-slot list, counted when `/props` gave no `total_slots`.
/// - `BASE/models`: the `owned_by` of the models. `llamacpp` is llama-server (slots unknown),
///   `vllm` is vLLM (it batches requests: no slot limit). Both decode to a JSON schema.
///
/// Fallback when none of these says anything (OpenAI itself, SGLang, Ollama, a proxy, a
/// server that is down): nothing is assumed — native tool calls and no slot limit, as
/// before the probe. What the user passes (`--tool-mode`, `--constraint`,
/// `--model-concurrency`) always wins over what was probed.
public struct ServerCapabilities: Sendable, Equatable {
    /// Which server answered: `llama.cpp`, `vllm`, or nil when unknown.
    public var server: String?
    /// Requests the server answers at once, when it says.
    public var slots: Int?
    /// The constrained-decoding mechanism the server is known to support.
    public var constraint: ConstrainedDecoding?
    /// What was asked and what came of it, for the run's start line.
    public var findings: [String] = []

    public init(server: String? = nil, slots: Int? = nil, constraint: ConstrainedDecoding? = nil, findings: [String] = []) {
        self.server = server
        self.slots = slots
        self.constraint = constraint
        self.findings = findings
    }

    /// Asks the server at `baseURL` (an OpenAI-compatible API root such as `http://host:8080/v1`).
    public static func probe(baseURL: String, apiKey: String? = nil, client: HTTPClient = HTTPClient()) async -> ServerCapabilities {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let root = base.hasSuffix("/v1") ? String(base.dropLast(3)) : base
        var found = ServerCapabilities()

        func get(_ url: String) async -> JSONValue? {
            var request = HTTPRequest(url: url, method: "GET", connectTimeout: .seconds(5), totalTimeout: .seconds(10), idleTimeout: .seconds(10))
            if let apiKey { request.setHeader("Authorization", "Bearer \(apiKey)") }
            guard let response = try? await client.send(request), response.status == 200 else { return nil }
            return try? JSONValue.parse(response.body)
        }

        if let props = await get(root + "/props"), let total = props["total_slots"]?.doubleValue, total >= 1 {
            found.server = "llama.cpp"
            found.slots = Int(total)
            found.constraint = .jsonSchema
            found.findings.append("/props: llama.cpp, total_slots \(Int(total))")
        } else if let slots = await get(root + "/slots")?.arrayValue, !slots.isEmpty {
            found.server = "llama.cpp"
            found.slots = slots.count
            found.constraint = .jsonSchema
            found.findings.append("/slots: llama.cpp, \(slots.count) slot\(slots.count == 1 ? "" : "s")")
        }
        if found.server == nil, let models = await get(base + "/models")?["data"]?.arrayValue {
            let owners = Set(models.compactMap { $0["owned_by"]?.stringValue?.lowercased() })
            if owners.contains("vllm") {
                found.server = "vllm"
                found.constraint = .jsonSchema
                found.findings.append("/models: vLLM (batches requests: no slot limit)")
            } else if owners.contains("llamacpp") {
                found.server = "llama.cpp"
                found.constraint = .jsonSchema
                found.findings.append("/models: llama.cpp (slot count unknown)")
            }
        }
        if found.server == nil { found.findings.append("the server did not say what it is (no /props, /slots or known /models owner)") }
        return found
    }
}

extension ModelConfiguration {
    /// This configuration with what an `openai-compatible` server says about itself filled
    /// in where the command line left it open: its slot count as `modelConcurrency`, and
    /// `constrained` tool calls (with the mechanism it supports) when it supports them.
    /// Unchanged for every other provider. Called once per command or run.
    public func probingServer(client: HTTPClient = HTTPClient()) async -> ModelConfiguration {
        guard spec.provider == "openai-compatible" else { return self }
        guard let url = baseURL ?? environment["OPENAI_BASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else { return self }
        let key = environment["OPENAI_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let capabilities = await ServerCapabilities.probe(baseURL: url, apiKey: key, client: client)
        var probed = self
        probed.probed = capabilities
        if probed.modelConcurrency == nil, let slots = capabilities.slots { probed.modelConcurrency = slots }
        if probed.toolMode == nil, let constraint = capabilities.constraint {
            probed.toolMode = .constrained
            if probed.constraint == nil { probed.constraint = constraint }
        }
        return probed
    }

    /// The local model's server started when needed, then any OpenAI-compatible server probed.
    public func preparingServer() async throws -> ModelConfiguration {
        await (try await startingLocalModel()).probingServer()
    }
}

import Foundation
import PatchloopModels
import PatchloopTesting
import Testing

/// The capability probe of OpenAI-compatible servers, against stand-ins over real HTTP.
@Suite("Server capability probe")
struct ServerProbeTests {
    /// A stand-in answering `routes` (path → JSON) and 404 for anything else, as a server that lacks an endpoint does.
    func server(_ routes: [String: String]) throws -> FakeHTTPServer {
        try FakeHTTPServer { request in
            if let body = routes[request.path] { return .json(body) }
            return .json(#"{"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}"#, status: 404)
        }
    }

    func configuration(_ server: FakeHTTPServer, toolMode: ToolMode? = nil, concurrency: Int? = nil) throws -> ModelConfiguration {
        ModelConfiguration(
            spec: try ModelSpec("openai-compatible:qwen"), baseURL: server.baseURL + "/v1", toolMode: toolMode, modelConcurrency: concurrency,
            environment: [:])
    }

    @Test("llama-server's /props total_slots becomes the endpoint's concurrency, and its JSON-schema support constrained tool calls")
    func llamaServerProps() async throws {
        let llama = try server([
            "/props": #"{"total_slots": 3, "chat_template": "…", "default_generation_settings": {"n_ctx": 4096}, "build_info": "b5000"}"#,
            "/v1/models": #"{"object": "list", "data": [{"id": "qwen", "object": "model", "owned_by": "llamacpp"}]}"#,
        ])
        defer { llama.stop() }
        let probed = await (try configuration(llama)).probingServer()
        #expect(probed.probed?.server == "llama.cpp")
        #expect(probed.concurrencyLimit == 3)
        #expect(probed.toolMode == .constrained && probed.effectiveConstraint == .jsonSchema)
        #expect(llama.requests.map(\.path).first == "/props" && llama.requests.allSatisfy { $0.method == "GET" })
        let model = try ModelRegistry.standard.model(probed, for: ModelContext(taskName: "t"))
        #expect((model as? SlotLimitedModel)?.slots.limit == 3)
        #expect(await probed.readinessLine().contains("total_slots 3"))
    }

    @Test("without total_slots in /props, llama-server's /slots list is counted")
    func llamaServerSlots() async throws {
        let llama = try server(["/props": #"{"chat_template": "…"}"#, "/slots": #"[{"id": 0, "is_processing": false}, {"id": 1, "is_processing": true}]"#])
        defer { llama.stop() }
        let probed = await (try configuration(llama)).probingServer()
        #expect(probed.concurrencyLimit == 2 && probed.effectiveConstraint == .jsonSchema)
    }

    @Test("vLLM (owned_by vllm) gets constrained tool calls and no slot limit: it batches")
    func vllm() async throws {
        let vllm = try server(["/v1/models": #"{"object": "list", "data": [{"id": "qwen", "object": "model", "owned_by": "vllm"}]}"#])
        defer { vllm.stop() }
        let probed = await (try configuration(vllm)).probingServer()
        #expect(probed.probed?.server == "vllm")
        #expect(probed.concurrencyLimit == nil && probed.effectiveConstraint == .jsonSchema)
    }

    @Test("a server that says nothing keeps the defaults: native tool calls, no slot limit")
    func unknownServer() async throws {
        let silent = try server(["/v1/models": #"{"object": "list", "data": [{"id": "gpt-x", "object": "model", "owned_by": "someone"}]}"#])
        defer { silent.stop() }
        let probed = await (try configuration(silent)).probingServer()
        #expect(probed.probed?.server == nil && probed.toolMode == nil && probed.concurrencyLimit == nil)
        #expect(probed.effectiveConstraint == nil)
        #expect(silent.requests.map(\.path) == ["/props", "/slots", "/v1/models"])
    }

    @Test("what the command line says wins over what the server says")
    func flagsWin() async throws {
        let llama = try server(["/props": #"{"total_slots": 4}"#])
        defer { llama.stop() }
        let probed = await (try configuration(llama, toolMode: .native, concurrency: 1)).probingServer()
        #expect(probed.toolMode == .native && probed.effectiveConstraint == nil && probed.concurrencyLimit == 1)
    }

    @Test("other providers are not probed")
    func onlyOpenAICompatible() async throws {
        let llama = try server(["/props": #"{"total_slots": 4}"#])
        defer { llama.stop() }
        let local = ModelConfiguration(spec: try ModelSpec("local"), baseURL: llama.baseURL + "/v1", environment: [:])
        let probed = await local.probingServer()
        #expect(probed.probed == nil && probed.concurrencyLimit == 1 && llama.requests.isEmpty)
    }
}

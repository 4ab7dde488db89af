import Foundation
import PatchloopCore
import PatchloopHTTP
import PatchloopModels
import PatchloopTesting

/// Measures the model adapters against `FakeProviderServer` on 127.0.0.1: the time from
/// the last byte of a streamed answer leaving the server to the tool call being handed to
/// the loop, and the whole per-request overhead of a small non-streamed request.
public enum ModelBenchmark {
    public static func run(requests: Int = 300) async throws -> String {
        var report = ""
        for wireProtocol in [FakeProviderServer.WireProtocol.openAI, .anthropic] {
            let turns = (0..<(requests + 10)).map { index in
                ScriptedModel.Turn.call("read_file", ["path": .string("src/file\(index % 7).py"), "start_line": .number(Double(index % 40 + 1))])
            }
            let server = try FakeProviderServer(wireProtocol, turns: turns)
            defer { server.stop() }
            let name = wireProtocol == .openAI ? "openai-compatible" : "anthropic"
            let request = ChatRequest(
                messages: [.system("You fix bugs."), .user(String(repeating: "Issue text. ", count: 200))],
                tools: [ToolSpec(name: "read_file", description: "Read a file.", parameters: ["type": "object", "properties": ["path": ["type": "string"]]])])

            let streaming = model(server, stream: true)
            for _ in 0..<10 { _ = try await streaming.complete(request) }
            var dispatch: [Double] = []
            for _ in 0..<requests {
                let writesBefore = server.server.chunkWriteTimes.count
                let response = try await streaming.complete(request)
                let handedOver = ContinuousClock.now
                guard !response.message.toolCalls.isEmpty, let lastWrite = server.server.chunkWriteTimes.dropFirst(writesBefore).last else { continue }
                dispatch.append(milliseconds(handedOver - lastWrite))
            }

            let whole = model(server, stream: false)
            for _ in 0..<10 { _ = try await whole.complete(request) }
            var roundTrips: [Double] = []
            for _ in 0..<requests {
                let started = ContinuousClock.now
                _ = try await whole.complete(request)
                roundTrips.append(milliseconds(ContinuousClock.now - started))
            }
            report += "\(name): last streamed byte → tool call handed to the loop: median \(format(median(dispatch))) ms, p90 \(format(percentile(dispatch, 0.9))) ms (\(dispatch.count) answers)\n"
            report += "\(name): whole request (adapter + HTTP + fake server), not streamed: median \(format(median(roundTrips))) ms, p90 \(format(percentile(roundTrips, 0.9))) ms\n"
        }
        return report
    }

    static func model(_ server: FakeProviderServer, stream: Bool) -> any ChatModel {
        let endpoint = ProviderEndpoint(baseURL: server.baseURL, apiKey: "bench", stream: stream, retry: .none)
        switch server.wireProtocol {
        case .openAI: return OpenAICompatibleModel(identifier: "bench", modelName: "bench", endpoint: endpoint, pricing: nil)
        case .anthropic: return AnthropicModel(identifier: "bench", modelName: "bench", endpoint: endpoint, pricing: nil)
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

    static func percentile(_ values: [Double], _ share: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * share))]
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}

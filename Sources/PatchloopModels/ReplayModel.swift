import Foundation
import PatchloopCore
import Synchronization

/// Replays the model side of a recorded trajectory (`replay:TRAJECTORY`): each call
/// returns the next recorded assistant message, with its recorded usage. For
/// debugging a run and for deterministic reruns of the tool side.
public final class ReplayModel: ChatModel {
    public let identifier: String
    public let pricing: ModelPricing? = .free
    private let responses: [ChatResponse]
    private let position = MutexBox(0)

    public init(trajectoryAt path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ModelError(.badRequest, "cannot read the trajectory to replay, \(path): \(error.localizedDescription)")
        }
        var responses: [ChatResponse] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let event = try? JSONValue.parse(Data(line)), event["type"]?.stringValue == "step", let assistant = event["assistant"] else { continue }
            let message = try assistant.decode(as: ChatMessage.self)
            let usage = event["usage"].flatMap { try? $0.decode(as: TokenUsage.self) } ?? TokenUsage()
            responses.append(
                ChatResponse(
                    message: message, usage: usage, finishReason: event["finish_reason"]?.stringValue ?? "", latency: 0))
        }
        guard !responses.isEmpty else {
            throw ModelError(.badRequest, "\(path) holds no recorded steps to replay (is it a Patchloop trajectory?)")
        }
        self.responses = responses
        identifier = "replay:\((path as NSString).lastPathComponent)"
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let index = position.next()
        guard index < responses.count else {
            throw ModelError(.exhausted, "the replayed trajectory has only \(responses.count) steps")
        }
        return responses[index]
    }
}

/// A counter behind a lock.
final class MutexBox: Sendable {
    private let value: Mutex<Int>
    init(_ initial: Int) { value = Mutex(initial) }
    func next() -> Int {
        value.withLock { current in
            defer { current += 1 }
            return current
        }
    }
}

import Foundation
import PatchloopCore
import Synchronization

/// The requests one model endpoint may be answering at once (`--model-concurrency`).
///
/// A server with few slots (llama-cpp-python has one) queues what it cannot answer yet,
/// and a queued request stays silent until its turn — long enough to trip an idle timeout
/// that was meant for a stalled answer. Workers therefore wait here, in the open, and a
/// request is sent only when the server can start on it: its timeouts then measure the
/// answer alone.
public final class EndpointSlots: Sendable {
    public let limit: Int
    private let state: Mutex<State>

    private struct State {
        var busy = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    public init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State())
    }

    /// The slots of the endpoint named `key` (one set per process, shared by every worker).
    public static func shared(key: String, limit: Int) -> EndpointSlots {
        registry.withLock { slots in
            if let existing = slots[key], existing.limit == limit { return existing }
            let made = EndpointSlots(limit: limit)
            slots[key] = made
            return made
        }
    }

    private static let registry = Mutex<[String: EndpointSlots]>([:])

    /// Runs `body` once a slot is free; returns its result and the seconds spent waiting.
    public func withSlot<Result: Sendable>(_ body: () async throws -> Result) async throws -> (Result, waited: Double) {
        let started = Date()
        try await acquire()
        let waited = Date().timeIntervalSince(started)
        do {
            let result = try await body()
            release()
            return (result, waited)
        } catch {
            release()
            throw error
        }
    }

    /// Requests being answered now (for tests and progress).
    public var inUse: Int { state.withLock { $0.busy } }

    /// Waits for a free slot and takes it; `release()` gives it back. Prefer `withSlot`.
    public func acquire() async throws {
        let id: UInt64? = state.withLock { state in
            if state.busy < limit {
                state.busy += 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    // A slot may have come free, or the task been cancelled, in between.
                    if Task.isCancelled { return true }
                    if state.busy < limit {
                        state.busy += 1
                        continuation.resume()
                        return false
                    }
                    state.waiters.append((id, continuation))
                    return false
                }
                if resumeNow { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Gives back a slot taken with `acquire()`.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiters.isEmpty {
                state.busy -= 1
                return nil
            }
            // The slot passes straight to the longest waiter.
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}

/// A model whose requests wait for a slot of their endpoint; the wait is reported on the
/// response (`slotWait`) so that the trajectory and the progress line can show it.
public struct SlotLimitedModel: ChatModel {
    public let base: any ChatModel
    public let slots: EndpointSlots
    /// The server goes on computing a request whose client went away (llama-cpp-python does,
    /// for a whole prompt): a request cut off by its time limit then keeps its slot until the
    /// server is free again, so the next request's time is not spent behind it.
    public let drainsAbandonedRequests: Bool

    public init(wrapping base: any ChatModel, slots: EndpointSlots, drainsAbandonedRequests: Bool = false) {
        self.base = base
        self.slots = slots
        self.drainsAbandonedRequests = drainsAbandonedRequests
    }

    public var identifier: String { base.identifier }
    public var pricing: ModelPricing? { base.pricing }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        try await complete(request, timeLimit: nil)
    }

    /// The time limit starts once the slot is held: waiting for it is not the request's time.
    /// A request that runs out of time carries the wait on its `TimeLimitExceeded`.
    public func complete(_ request: ChatRequest, timeLimit: Double?) async throws -> ChatResponse {
        let asked = Date()
        try await slots.acquire()
        let waited = Date().timeIntervalSince(asked)
        do {
            var response = try await base.complete(request, timeLimit: timeLimit)
            slots.release()
            response.slotWait += waited
            return response
        } catch var error as TimeLimitExceeded {
            error.waited += waited
            if drainsAbandonedRequests {
                // The same request again, for one token: it queues behind the abandoned one and
                // returns once the server has finished it — and since the server keeps the prompt
                // it evaluated last, it costs one token more. Meanwhile the slot stays taken; the
                // attempt that was cut off ends without waiting for this.
                var drain = request
                drain.maxOutputTokens = 1
                let (base, slots) = (base, slots)
                Task.detached {
                    _ = try? await base.complete(drain, timeLimit: 1800)
                    slots.release()
                }
            } else {
                slots.release()
            }
            throw error
        } catch {
            slots.release()
            throw error
        }
    }
}

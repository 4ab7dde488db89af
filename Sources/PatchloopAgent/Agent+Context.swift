import Foundation
import PatchloopCore
import PatchloopModels
import PatchloopTools
import PatchloopWorkspace

/// What one request carried, for the trajectory.
struct SentContext {
    var estimate: Int
    var rawEstimate: Int
    var messageCount: Int
    var elided: Int
    var compactedSteps: Int
}

// MARK: - Asking the model within its window

extension Agent {
    /// Sends the conversation's current view: compacts first when it would pass the
    /// threshold, and once more (keeping only the latest step) when the provider says it
    /// is too long; past that the run ends with `context_exhausted`.
    func ask(_ state: inout LoopState) async throws -> (ChatResponse, SentContext) {
        var sent = measure(&state)
        if let window = settings.context.window, Double(sent.estimate) > settings.context.compactionThreshold * Double(window) {
            if try await compact(&state, keepRecent: settings.context.keepRecentSteps, reason: "threshold") {
                sent = measure(&state)
            }
        }
        if let maxTokens = settings.budget.maxTokens, state.spent.usage.totalTokens + sent.estimate > maxTokens {
            throw AgentStop.budget(.tokens, state.spent)
        }
        do {
            return (try await request(state), sent)
        } catch let error as ModelError where error.kind == .contextTooLong {
            recordModelError(error, step: state.spent.steps + 1)
            guard try await compact(&state, keepRecent: 1, reason: "context_overflow") else {
                throw AgentStop.contextExhausted("the conversation does not fit the model's context window and cannot be compacted further: \(ErrorText.sentence(for: error))")
            }
            sent = measure(&state)
            do {
                return (try await request(state), sent)
            } catch let again as ModelError where again.kind == .contextTooLong {
                recordModelError(again, step: state.spent.steps + 1)
                throw AgentStop.contextExhausted("the conversation does not fit the model's context window even after compaction: \(again)")
            }
        }
    }

    /// Brings the conversation's view up to date and measures it (from running totals:
    /// no earlier message is counted again).
    private func measure(_ state: inout LoopState) -> SentContext {
        let view = state.conversation.refreshView(settings.context)
        let (estimate, raw) = state.conversation.estimateInput(settings.context, toolTokens: state.toolTokens)
        return SentContext(
            estimate: estimate, rawEstimate: raw, messageCount: view.count, elided: state.conversation.elidedCount(settings.context),
            compactedSteps: state.conversation.compactedSteps)
    }

    private func request(_ state: LoopState) async throws -> ChatResponse {
        let request = ChatRequest(messages: state.conversation.view(settings.context), tools: toolbox.specs, temperature: settings.temperature)
        do {
            return try await model.complete(request, timeLimit: settings.budget.secondsLeft(after: state.spent))
        } catch let error as TimeLimitExceeded {
            // The time budget passed while the request was being answered: it was cancelled.
            var spent = state.spent
            spent.waited += error.waited
            recorder.record([
                "type": "time_limit", "step": .number(Double(state.spent.steps + 1)), "timestamp": .string(TrajectoryRecorder.timestamp()),
                "message": .string("the model request was cancelled: \(error.description)"), "slot_wait": .number(error.waited),
            ])
            throw AgentStop.budget(.time, spent)
        } catch is CancellationError {
            throw AgentStop.cancelled
        } catch let error as ModelError where error.kind == .contextTooLong {
            throw error
        } catch {
            recordModelError(error, step: state.spent.steps + 1)
            throw AgentStop.model(ErrorText.sentence(for: error))
        }
    }

    private func recordModelError(_ error: any Error, step: Int) {
        let modelError = error as? ModelError
        recorder.record([
            "type": "model_error", "step": .number(Double(step)), "timestamp": .string(TrajectoryRecorder.timestamp()),
            "kind": .string(modelError?.kind.rawValue ?? "unknown"), "message": .string(ErrorText.sentence(for: error)),
            "retries": .array((modelError?.retries ?? []).map { .string($0) }),
        ])
    }

    /// Replaces every step but the latest `keepRecent` with a summary; false when there
    /// is nothing (more) to compact or compaction is off.
    func compact(_ state: inout LoopState, keepRecent: Int, reason: String) async throws -> Bool {
        let summarizer = settings.context.summarizer
        let through = state.conversation.steps.count - keepRecent
        guard summarizer != .off, through > state.conversation.compactedSteps else { return false }
        let before = measure(&state).estimate
        let newSteps = state.conversation.steps[state.conversation.compactedSteps..<through]
        let previous = state.conversation.summaryBody
        var body = [previous, Summaries.digest(of: newSteps)].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
        var by = "digest"
        var usage = TokenUsage()
        if summarizer == .model {
            let transcript = (previous.map { "Summary so far:\n\($0)\n\nLater steps:\n" } ?? "") + Summaries.transcript(of: newSteps)
            do {
                let response = try await model.complete(
                    ChatRequest(messages: [.system(Summaries.modelInstruction), .user(transcript)], tools: [], temperature: 0),
                    timeLimit: settings.budget.secondsLeft(after: state.spent))
                state.spent.waited += response.slotWait
                usage = response.usage
                state.spent.add(usage, pricing: state.pricing)
                if !response.message.content.isEmpty {
                    body = response.message.content
                    by = "model"
                }
            } catch {
                by = "digest (the model's summary failed: \(ErrorText.sentence(for: error)))"
            }
        }
        let diff = (try? await sandbox.diff()) ?? ""
        state.conversation.summaryBody = body
        state.conversation.summary = Summaries.message(body: body, compactedSteps: through, diff: diff, latestTests: state.latestTestResult)
        state.conversation.compactedSteps = through
        // The prefix the provider counted has changed: estimate afresh.
        state.conversation.lastReportedInput = nil
        recorder.record([
            "type": "compaction", "step": .number(Double(state.spent.steps)), "timestamp": .string(TrajectoryRecorder.timestamp()),
            "reason": .string(reason), "by": .string(by), "compacted_steps": .number(Double(through)),
            "estimated_input_before": .number(Double(before)), "estimated_input_after": .number(Double(measure(&state).estimate)),
            "summary": .string(state.conversation.summary ?? ""), "usage": usage.json,
        ])
        return true
    }
}

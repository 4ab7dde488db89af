import Foundation
import PatchloopCore
import PatchloopModels
import Synchronization

/// The model's counts, shared by the calls a run makes at once.
final class SynthModelLedger: Sendable {
    private let state: Mutex<SynthModelUsage>

    init(model: any ChatModel) {
        state = Mutex(SynthModelUsage(model: model.identifier, pricing: model.pricing))
    }

    var usage: SynthModelUsage { state.withLock { $0 } }

    func update(_ body: (inout SynthModelUsage) -> Void) {
        state.withLock { body(&$0) }
    }
}

extension BugCandidate {
    /// Whether the model wrote this candidate (`lm_rewrite`).
    var isRewrite: Bool { operatorName == FunctionRewriter.operatorName }
}

extension TaskSynthesizer {
    /// Asks the model to rewrite up to `request.rewrites` functions — those some stable test
    /// calls first, in the seed's order — and returns as candidates the rewrites that compile,
    /// differ from the original and change nothing outside their function; the others, and
    /// failed calls, are counted.
    ///
    /// Each reply is kept in `OUT/.model/rewrites/`: a rerun (after an interruption, or with a
    /// larger `--count`) reads it back instead of asking again, so it makes the same
    /// candidates — the tasks already written are found, none is written twice — and costs nothing.
    func rewriteCandidates(
        model: any ChatModel, ledger: SynthModelLedger, files: [String], worktree: String, callMap: TestCallMap?, stable: Set<String>,
        output: String, summary: inout SynthSummary
    ) async throws -> [BugCandidate] {
        let all = try await FunctionRewriter.functions(files: files, in: worktree, isolation: request.isolation)
        // Its own stream of the seed, so the procedural candidates' order does not depend on the model.
        var generator = SeededGenerator(seed: request.seed ^ 0x6C6D_5F72_6577_7269)
        let shuffled = all.sorted { ($0.file, $0.line) < ($1.file, $1.line) }.shuffled(using: &generator)
        func rank(_ function: RewritableFunction) -> Int? {
            switch callMap?.tests(calling: function.name, in: function.file) {
            case .tests(let tests): tests.contains(where: stable.contains) ? 0 : nil
            // No stable test calls it: no rewrite of it can break one.
            case .uncalled: nil
            case .unknown, nil: 1
            }
        }
        let chosen = shuffled.compactMap { function in rank(function).map { (function, $0) } }
            .enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }
            .prefix(request.rewrites).map(\.element.0)
        guard !chosen.isEmpty else { return [] }
        progress("asking \(model.identifier) to rewrite \(chosen.count) of \(all.count) functions…")
        let began = Date()

        // `workers` calls at once (a model with one slot queues them itself), answers kept in the chosen order.
        let folder = output + "/.model/rewrites"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var replies = [String?](repeating: nil, count: chosen.count)
        try await withThrowingTaskGroup(of: (Int, String?).self) { calls in
            var next = 0
            /// Starts the next call; replies kept by an earlier run are taken on the way.
            func startNext() {
                while next < chosen.count {
                    let index = next
                    next += 1
                    let function = chosen[index]
                    let chat = FunctionRewriter.request(for: function)
                    // The model and the whole prompt: another model, or a changed function, asks again.
                    let file = folder + "/" + StableHash.hex(model.identifier + "\n" + chat.messages.map(\.content).joined(separator: "\n")) + ".txt"
                    if let data = FileManager.default.contents(atPath: file) {
                        ledger.update { $0.rewritesReplayed += 1 }
                        replies[index] = String(decoding: data, as: UTF8.self)
                        continue
                    }
                    calls.addTask {
                        let reply = try await ask(model, chat, ledger: ledger, what: "rewrite of \(function.qualifiedName)")
                        if let reply { try? reply.write(toFile: file, atomically: true, encoding: .utf8) }
                        return (index, reply)
                    }
                    return
                }
            }
            for _ in 0..<max(1, request.workers) { startNext() }
            while let (index, reply) = try await calls.next() {
                replies[index] = reply
                startNext()
            }
        }
        ledger.update { $0.rewritesRequested += chosen.count }

        var toSplice: [(function: RewritableFunction, code: String)] = []
        for (function, reply) in zip(chosen, replies) {
            guard let reply else { continue }
            guard let code = FunctionRewriter.code(fromReply: reply) else {
                summary.count(FunctionRewriter.operatorName, \.tried)
                summary.count(FunctionRewriter.operatorName, \.notCompiling)
                ledger.update { $0.rewritesWithoutCode += 1 }
                continue
            }
            toSplice.append((function, code))
        }
        var candidates: [BugCandidate] = []
        // Candidates are counted (tried, not compiling, …) when the queue reaches them, as procedural ones are; the rest here.
        for outcome in try await FunctionRewriter.splice(toSplice, in: worktree, isolation: request.isolation) {
            if case .candidate(let candidate) = outcome {
                candidates.append(candidate)
                continue
            }
            summary.count(FunctionRewriter.operatorName, \.tried)
            switch outcome {
            case .candidate: break
            case .notCompiling: summary.count(FunctionRewriter.operatorName, \.notCompiling)
            case .identical: ledger.update { $0.rewritesIdentical += 1 }
            case .outsideFunction: ledger.update { $0.rewritesOutsideFunction += 1 }
            }
        }
        let usage = ledger.usage
        progress(
            "model: \(candidates.count) rewrites to validate, "
                + "\((summary.perOperator[FunctionRewriter.operatorName]?.notCompiling ?? 0) - usage.rewritesWithoutCode) do not compile, "
                + "\(usage.rewritesIdentical) identical, \(usage.rewritesOutsideFunction) change code outside their function, "
                + "\(usage.rewritesWithoutCode) without a code block, \(usage.errors) model errors "
                + String(format: "(%.1f s)", Date().timeIntervalSince(began)))
        return candidates
    }

    /// The model's issue report for a kept bug, from the failing tests' output alone; nil
    /// (and counted) when the call fails, the answer is empty, or it holds a changed line
    /// of the gold patch — the procedural statement is used then.
    func modelStatement(
        model: any ChatModel, ledger: SynthModelLedger, candidate: BugCandidate, failToPass: [String], log: String, goldPatch: String
    ) async throws -> String? {
        let request = ProblemStatementWriter.request(
            function: candidate.function, file: candidate.file, failToPass: failToPass, log: log, goldPatch: goldPatch)
        guard let reply = try await ask(model, request, ledger: ledger, what: "statement for \(candidate.function)"),
            let statement = ProblemStatementWriter.modelStatement(fromReply: reply)
        else {
            ledger.update { $0.statementsFailed += 1 }
            return nil
        }
        guard !ProblemStatementWriter.leaks(statement, goldPatch: goldPatch) else {
            ledger.update { $0.statementsLeaking += 1 }
            progress("model statement for \(candidate.function) holds a line of the fix: the procedural statement is used")
            return nil
        }
        ledger.update { $0.statementsByModel += 1 }
        return statement
    }

    /// One model call, counted; nil when it failed (an interruption still stops the run).
    func ask(_ model: any ChatModel, _ chat: ChatRequest, ledger: SynthModelLedger, what: String) async throws -> String? {
        do {
            let response = try await model.complete(chat, timeLimit: request.modelTimeLimit)
            ledger.update { $0.record(response) }
            return response.message.content
        } catch {
            if error is CancellationError || Task.isCancelled { throw error }
            ledger.update { $0.errors += 1 }
            progress("model error (\(what)): \(String(describing: error).prefix(300))")
            return nil
        }
    }
}

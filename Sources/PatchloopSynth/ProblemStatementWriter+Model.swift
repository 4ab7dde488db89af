import Foundation
import PatchloopModels

extension ProblemStatementWriter {
    /// `statement_source` of a statement the model wrote.
    public static func modelSource(_ model: String) -> String { "model:" + model }

    /// Longest model statement kept; a longer answer is cut at a line.
    static let modelStatementLimit = 4000

    /// What the model is shown of a bug: the failing tests' names and, per test, its failing
    /// lines and assertion message (pytest's `>` and `E` lines, or the summary's message),
    /// trimmed — never the diff, and never a line the gold patch changes.
    public static func evidence(failToPass: [String], log: String, goldPatch: String, limit: Int = 5) -> String {
        let changed = changedLines(goldPatch)
        let blocks = failureBlocks(log)
        let summaries = summaryMessages(log)
        var text = ""
        for test in failToPass.prefix(limit) {
            text += "FAILED \(test)\n"
            var lines = (blocks[blockHeader(test)] ?? []).suffix(12).map { String($0.prefix(300)) }
            if lines.isEmpty, let message = summaries[test] { lines = [String(message.prefix(300))] }
            for line in lines where !changed.contains(where: { contains(line, $0) }) { text += "    " + line + "\n" }
        }
        if failToPass.count > limit { text += "…and \(failToPass.count - limit) more failing tests\n" }
        return text
    }

    /// The request for an issue report on the bug in `function` (`a+b` for a combined bug), from the failing tests' output alone.
    public static func request(function: String, file: String, failToPass: [String], log: String, goldPatch: String) -> ChatRequest {
        let names = function.split(separator: "+").map { "`\($0)`" }.joined(separator: " and ")
        let system = "You write short bug reports the way a user of a Python library writes a GitHub issue."
        // The instructions open the prompt: SmolLM2-135M echoed an opening that read like the start of a report.
        let user = """
            Write the GitHub issue a user of this Python project would open about a bug in \(names) (in `\(file)`). Start \
            with a one-line title, then a few plain sentences: what they called, what they expected, what they got \
            instead. Write as the user. Do not propose a fix and do not show the library's code.

            What the user saw — these tests passed before and fail now:

            ```
            \(evidence(failToPass: failToPass, log: log, goldPatch: goldPatch))```
            """
        return ChatRequest(messages: [.system(system), .user(user)], tools: [], temperature: 0.2, maxOutputTokens: 400)
    }

    /// A model's answer as a statement: trimmed and bounded; nil when empty.
    public static func modelStatement(fromReply reply: String) -> String? {
        var text = reply.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 20 else { return nil }
        if text.count > modelStatementLimit {
            let cut = String(text.prefix(modelStatementLimit))
            text = cut.range(of: "\n", options: .backwards).map { String(cut[..<$0.lowerBound]) } ?? cut
        }
        return text + "\n"
    }
}

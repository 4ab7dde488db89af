import Foundation
import PatchloopCore

/// A scripted policy that solves a task from a known patch: it reads each file the
/// patch touches, makes the patch's hunks as `edit` calls, runs the tests and submits.
///
/// `scripted:gold` uses it with a task's gold patch, the way SWE-bench's `gold`
/// predictions check a harness: it proves the loop, the tools, the sandbox and the
/// scorer work together, with no model behind them.
public enum PatchReplayModel {
    /// The turns that replay `patch`; files the patch deletes or binary files are skipped.
    public static func turns(for patch: String, runTests: Bool = true) -> [ScriptedModel.Turn] {
        var turns: [ScriptedModel.Turn] = []
        for file in UnifiedDiff.parse(patch).files where !file.isBinary {
            guard let path = file.newPath else { continue }
            if file.oldPath == nil {
                let content = file.hunks.map(\.newText).joined()
                turns.append(.call("edit", ["path": .string(path), "old_str": "", "new_str": .string(content)],
                    thought: "Create \(path)."))
                continue
            }
            turns.append(.call("read_file", ["path": .string(path)], thought: "Read \(path) before changing it."))
            for hunk in file.hunks {
                turns.append(
                    .call(
                        "edit", ["path": .string(path), "old_str": .string(hunk.oldText), "new_str": .string(hunk.newText)],
                        thought: "Change \(path) near line \(hunk.oldStart)."))
            }
        }
        if runTests {
            turns.append(.call("run_tests", [:], thought: "Run the tests."))
        }
        turns.append(.call("submit", [:], thought: "Submit the change."))
        return turns
    }

    /// A model that replays `patch`.
    public static func model(for patch: String, identifier: String = "scripted:gold") -> ScriptedModel {
        ScriptedModel(turns: turns(for: patch), identifier: identifier)
    }
}

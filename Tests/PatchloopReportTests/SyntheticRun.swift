import Foundation
import PatchloopCore

/// A run directory written the way `eval` writes one (config.json, results/, trajectories/),
/// with made-up but realistic content: each attempt reads windows of a few files of its
/// repository, searches, edits and runs tests whose output changes a little each time.
/// No summary.json: the report computes it, as for a run still under way.
enum SyntheticRun {
    static let categories = ["resolved", "test_failure", "regression", "syntax_error", "budget_exhausted:steps", "empty_patch", "stuck", "patch_apply_error"]

    static func write(to directory: String, attempts: Int, steps: Int, tasks: Int? = nil) throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: directory + "/results", withIntermediateDirectories: true)
        try fileManager.createDirectory(atPath: directory + "/trajectories", withIntermediateDirectories: true)
        let taskCount = tasks ?? attempts
        let perTask = max(1, (attempts + taskCount - 1) / taskCount)
        let ids = (0..<taskCount).map { String(format: "synthetic__task-%04d", $0) }
        let config: JSONValue = [
            "kind": "eval", "run_id": "synthetic", "output_directory": .string(directory), "tasks": [],
            "instance_ids": .array(ids.map { .string($0) }), "attempts": .number(Double(perTask)),
            "model": ["spec": "openai:synthetic-model"],
        ]
        try config.prettyEncoded().write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        var generator = SeededGenerator(seed: 42)
        var written = 0
        for (taskIndex, id) in ids.enumerated() {
            for attempt in 1...perTask where written < attempts {
                written += 1
                let name = perTask > 1 ? "\(id).\(attempt)" : id
                let category = categories[(taskIndex + attempt) % categories.count]
                let trajectory = directory + "/trajectories/\(name).jsonl"
                let (text, usage) = trajectoryText(id: id, attempt: attempt, steps: steps, generator: &generator)
                try text.write(toFile: trajectory, atomically: false, encoding: .utf8)
                let resolved = category == "resolved"
                let entry: JSONValue = [
                    "patch_is_None": false, "patch_exists": true, "patch_successfully_applied": true, "resolved": .bool(resolved),
                    "tests_status": [
                        "FAIL_TO_PASS": ["success": resolved ? ["tests/test_core.py::test_fix"] : [], "failure": resolved ? [] : ["tests/test_core.py::test_fix"]],
                        "PASS_TO_PASS": ["success": .array((0..<40).map { .string("tests/test_core.py::test_case_\($0)") }), "failure": []],
                        "FAIL_TO_FAIL": ["success": [], "failure": []], "PASS_TO_FAIL": ["success": [], "failure": []],
                    ],
                    "graded": true, "resolution": .string(resolved ? "RESOLVED_FULL" : "RESOLVED_NO"), "attempt": .number(Double(attempt)),
                    "model_name_or_path": "openai:synthetic-model", "model_patch": .string(patch(&generator)), "exit_status": "submitted",
                    "detail": "the model submitted", "steps": .number(Double(steps)),
                    "tokens": ["input_tokens": .number(Double(usage.0)), "output_tokens": .number(Double(usage.1)), "cached_input_tokens": 0, "cache_write_tokens": 0],
                    "total_tokens": .number(Double(usage.0 + usage.1)), "cost": .number(Double(usage.0) * 4e-7 + Double(usage.1) * 1.6e-6),
                    "duration": .number(Double(steps) * 2.5), "started_at": "2026-12-01T10:00:00.000Z", "finished_at": "2026-12-01T10:05:00.000Z",
                    "failure_category": .string(category), "failure_evidence": .string(resolved ? "1 FAIL_TO_PASS and 40 PASS_TO_PASS tests pass" : "FAIL_TO_PASS failing: tests/test_core.py::test_fix"),
                    "trajectory": .string(trajectory),
                ]
                try JSONValue.object([id: entry]).prettyEncoded().write(toFile: directory + "/results/\(name).json", atomically: false, encoding: .utf8)
            }
        }
    }

    static let words = [
        "value", "result", "config", "parser", "token", "index", "buffer", "stream", "record", "schema", "handler", "request", "response",
        "cache", "offset", "length", "items", "options", "context", "node", "tree", "path", "name", "error", "state", "count", "limit",
    ]

    static func line(_ generator: inout SeededGenerator) -> String {
        let indent = String(repeating: " ", count: 4 * Int(generator.next() % 3))
        let a = words[Int(generator.next() % UInt64(words.count))], b = words[Int(generator.next() % UInt64(words.count))]
        switch generator.next() % 5 {
        case 0: return "\(indent)def \(a)_\(b)(self, \(b)=None):"
        case 1: return "\(indent)if \(a) is None or len(\(b)) > \(generator.next() % 100):"
        case 2: return "\(indent)return self.\(a).get(\(b), \(generator.next() % 10))"
        case 3: return "\(indent)\(a) = \(b)[\(generator.next() % 20):] + [\(a)_\(b)]"
        default: return "\(indent)# \(a) \(b): keep the \(words[Int(generator.next() % UInt64(words.count))]) in step"
        }
    }

    static func trajectoryText(id: String, attempt: Int, steps: Int, generator: inout SeededGenerator) -> (String, (Int, Int)) {
        let files = (0..<5).map { index in (path: "src/module_\(index).py", lines: (0..<200).map { _ in line(&generator) }) }
        var lines: [String] = []
        let header: JSONValue = [
            "type": "header", "format_version": 1, "instance_id": .string(id), "attempt": .number(Double(attempt)), "model": "openai:synthetic-model",
            "timestamp": "2026-12-01T10:00:00.000Z", "settings": ["budget": ["max_steps": .number(Double(steps))]],
            "task": ["problem_statement": .string("The parser drops the last record when the input does not end in a newline.\n\n" + (0..<20).map { _ in line(&generator) }.joined(separator: "\n"))],
            "messages": [["role": "system", "content": "You are a coding agent."], ["role": "user", "content": "Fix the issue."]],
        ]
        lines.append(header.encoded())
        var input = 0, output = 0
        for step in 1...steps {
            let file = files[Int(generator.next() % 5)]
            let call: (String, JSONValue, String)
            switch step % 4 {
            case 1:
                let start = Int(generator.next() % 150)
                call = ("read_file", ["path": .string(file.path), "start_line": .number(Double(start + 1))],
                    file.lines[start..<min(file.lines.count, start + 50)].enumerated().map { String(format: "%4d\t", start + $0.offset + 1) + $0.element }.joined(separator: "\n"))
            case 2:
                let word = words[Int(generator.next() % UInt64(words.count))]
                call = ("search", ["pattern": .string(word)],
                    (0..<12).map { _ in "\(files[Int(generator.next() % 5)].path):\(generator.next() % 200 + 1): \(line(&generator))" }.joined(separator: "\n"))
            case 3:
                let at = Int(generator.next() % 190)
                let old = file.lines[at..<at + 4].joined(separator: "\n")
                call = ("edit", ["path": .string(file.path), "old_str": .string(old), "new_str": .string(old + "\n" + line(&generator))],
                    "Edited \(file.path) at line \(at + 1).")
            default:
                let failed = Int(generator.next() % 3)
                var log = "Tests: \(40 - failed) passed, \(failed) failed (exit \(failed > 0 ? 1 : 0), 3.2 s)\n\n"
                let passedLines: [String] = (0..<40).map { "PASSED tests/test_core.py::test_case_\($0)" }
                log += passedLines.joined(separator: "\n") + "\n"
                for _ in 0..<failed { log += "FAILED tests/test_core.py::test_fix - AssertionError: " + line(&generator) + "\n" }
                for _ in 0..<15 { log += line(&generator) + "\n" }
                call = ("run_tests", [:], log)
            }
            let thought = (0..<2).map { _ in line(&generator) }.joined(separator: " ")
            let usage = (Int(3000 + step * 900), Int(60 + generator.next() % 200))
            input += usage.0
            output += usage.1
            let event: JSONValue = [
                "type": "step", "step": .number(Double(step)), "timestamp": "2026-12-01T10:00:01.000Z",
                "assistant": [
                    "role": "assistant", "content": .string("Next I look at this. " + thought),
                    "tool_calls": [["id": .string("call_\(step)"), "type": "function", "function": ["name": .string(call.0), "arguments": .string(call.1.encoded())]]],
                ],
                "observations": [[
                    "tool_call_id": .string("call_\(step)"), "name": .string(call.0), "output": .string(call.2), "is_error": false,
                    "facts": call.0 == "run_tests" ? ["passed": 40, "failed": 0] : [:], "truncated": false, "omitted_chars": 0, "duration": 0.2,
                ]],
                "feedback": .null, "usage": ["input_tokens": .number(Double(usage.0)), "output_tokens": .number(Double(usage.1))],
                "finish_reason": "tool_calls", "retries": [], "usage_estimated": false, "model_latency": 1.8, "elapsed": .number(Double(step) * 2.5),
                "context": ["estimated_input_tokens": .number(Double(usage.0)), "messages_sent": .number(Double(step * 2 + 2)), "elided_observations": .number(Double(max(0, step - 10) / 5)), "compacted_steps": 0],
            ]
            lines.append(event.encoded())
            if step % 25 == 0 {
                let compaction: JSONValue = [
                    "type": "compaction", "step": .number(Double(step)), "reason": "the context window is 80% full", "by": "digest",
                    "compacted_steps": .number(Double(step - 5)), "estimated_input_before": 60000, "estimated_input_after": 20000,
                    "summary": .string((0..<10).map { _ in line(&generator) }.joined(separator: "\n")),
                ]
                lines.append(compaction.encoded())
            }
        }
        let result: JSONValue = ["type": "result", "exit_status": "submitted"]
        lines.append(result.encoded())
        return (lines.joined(separator: "\n") + "\n", (input, output))
    }

    static func patch(_ generator: inout SeededGenerator) -> String {
        "diff --git a/src/module_0.py b/src/module_0.py\n--- a/src/module_0.py\n+++ b/src/module_0.py\n@@ -10,3 +10,4 @@\n "
            + line(&generator) + "\n-" + line(&generator) + "\n+" + line(&generator) + "\n+" + line(&generator) + "\n " + line(&generator) + "\n"
    }
}

/// A deterministic random source (SplitMix64), so a synthetic run is the same every time.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

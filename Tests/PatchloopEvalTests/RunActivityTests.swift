import Foundation
import PatchloopCore
import PatchloopEval
import PatchloopTesting
import Testing

@Suite("What a run's attempts did")
struct RunActivityTests {
    @Test("tool calls by kind, replies without a valid call, model errors, modes and slot waits are read from the trajectories")
    func tally() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func call(_ name: String) -> JSONValue { ["id": "c", "type": "function", "function": ["name": .string(name), "arguments": "{}"]] }
        let lines: [JSONValue] = [
            ["type": "header"],
            ["type": "step", "tool_mode": "constrained:json_object", "slot_wait": 1.5, "assistant": ["tool_calls": [call("read_file")]], "observations": [["facts": [:]]]],
            ["type": "step", "tool_mode": "constrained:json_object", "slot_wait": 0.5, "assistant": ["tool_calls": [call("edit")]], "observations": [["facts": ["format_error": true]]]],
            ["type": "step", "assistant": ["content": "prose"], "observations": []],
            ["type": "model_error", "kind": "transport"],
        ]
        try lines.map { $0.encoded() }.joined(separator: "\n").write(toFile: directory.path + "/a.jsonl", atomically: true, encoding: .utf8)
        try (JSONValue.object(["type": "step", "assistant": ["tool_calls": [call("submit")]], "observations": [["facts": [:]]]]).encoded() + "\n")
            .write(toFile: directory.path + "/b.jsonl", atomically: true, encoding: .utf8)
        let activity = RunActivity(trajectoriesIn: directory.path)
        #expect(activity.steps == 4)
        #expect(activity.callsByTool == ["read_file": 1, "edit": 1, "submit": 1])
        #expect(activity.repliesWithoutValidCall == 2)
        #expect(activity.modelErrors == 1)
        #expect(activity.toolModes == ["constrained:json_object": 2, "native": 2])
        #expect(activity.slotWait == 2)
        #expect(activity.line.hasPrefix("4 steps · tool calls: read_file 1 · search 0 · edit 1 · run_tests 0 · submit 1 · replies without a valid call 2 · model errors 1"))
    }
}

@Suite("What a run's attempts changed and tested")
struct RunWorkTests {
    @Test("tests run (and those all passing), edits made and refused, and the attempts that edited are counted from the observations")
    func work() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func call(_ name: String) -> JSONValue { ["id": "c", "type": "function", "function": ["name": .string(name), "arguments": "{}"]] }
        func step(_ name: String, _ facts: JSONValue) -> JSONValue {
            ["type": "step", "assistant": ["tool_calls": [call(name)]], "observations": [["name": .string(name), "facts": facts]]]
        }
        let first: [JSONValue] = [
            step("edit", ["path": "a.py", "files_touched": ["a.py"]]),
            step("edit", ["path": "a.py"]),
            step("edit", ["format_error": true]),
            step("run_tests", ["passed": 3, "failed": 1]),
            step("run_tests", ["passed": 4, "failed": 0, "all_passed": true]),
            step("run_tests", ["not_run": true, "time_is_up": true]),
        ]
        try first.map { $0.encoded() }.joined(separator: "\n").write(toFile: directory.path + "/a.jsonl", atomically: true, encoding: .utf8)
        try step("read_file", ["path": "b.py"]).encoded().write(toFile: directory.path + "/b.jsonl", atomically: true, encoding: .utf8)
        let activity = RunActivity(trajectoriesIn: directory.path)
        #expect(activity.testRuns == 2 && activity.testRunsAllPassed == 1)
        #expect(activity.editsMade == 1 && activity.editsRefused == 1 && activity.attemptsThatEdited == 1)
        #expect(activity.workLine == "tests run 2 (1 with every test passing) · edits made 1 (1 refused) in 1 attempt")
    }
}

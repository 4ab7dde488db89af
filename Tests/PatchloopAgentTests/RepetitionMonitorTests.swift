@testable import PatchloopAgent
import PatchloopModels
import Testing

@Suite("Repetition monitor")
struct RepetitionMonitorTests {
    @Test("the same call with the same result counts up, whatever the arguments' spacing or key order; anything new starts again")
    func countsRepeats() {
        var monitor = RepetitionMonitor()
        let call = ToolCall(id: "a", name: "read_file", arguments: #"{"path": "x.py", "start_line": 3}"#)
        let respaced = ToolCall(id: "b", name: "read_file", arguments: #"{"start_line":3,"path":"x.py"}"#)
        #expect(monitor.count(call: call, observation: "text") == 1)
        #expect(monitor.count(call: respaced, observation: "text") == 2)
        #expect(monitor.count(call: call, observation: "text") == 3)
        #expect(monitor.count(call: call, observation: "other text") == 1)
        #expect(monitor.count(call: ToolCall(id: "c", name: "search", arguments: call.arguments), observation: "other text") == 1)
        #expect(monitor.count(call: ToolCall(id: "d", name: "search", arguments: #"{"path": "y.py"}"#), observation: "other text") == 1)
        let malformed = ToolCall(id: "e", name: "search", arguments: "{not json")
        #expect(monitor.count(call: malformed, observation: "bad") == 1)
        #expect(monitor.count(call: malformed, observation: "bad") == 2)
    }
}

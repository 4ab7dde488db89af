import Foundation
import PatchloopAgent
import PatchloopCore
import PatchloopModels
import PatchloopSolve
import PatchloopTesting
import PatchloopWorkspace
import Synchronization
import Testing

/// Repositories, scripts and checks shared by the solve tests.
enum SolveFixtures {
    /// A Python repository whose `add` subtracts; `tests/test_calc.py::test_add` fails.
    static let pythonFiles: [String: String] = [
        "calc.py": "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n",
        "tests/test_calc.py": "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
        "pytest.ini": "[pytest]\npythonpath = .\n",
        ".gitignore": "__pycache__/\n",
    ]

    static let issue = IssueDocument(title: "add() subtracts instead of adding", text: "# add() subtracts instead of adding\n\n`calc.add(2, 3)` returns -1.")

    /// Edit `path` from `old` to `new`, then run the tests (the loop stops when they pass).
    static func fix(_ path: String, _ old: String, _ new: String) -> ScriptedModel {
        ScriptedModel(turns: [
            .call("edit", ["path": .string(path), "old_str": .string(old), "new_str": .string(new)]),
            .call("run_tests"),
        ])
    }

    static var addFix: ScriptedModel { fix("calc.py", "return a - b", "return a + b") }

    static func request(_ repository: String, in directory: TemporaryDirectory, _ configure: (inout SolveRequest) -> Void = { _ in }) -> SolveRequest {
        var request = SolveRequest(
            repository: repository, issue: issue, testTimeout: 120, sandboxRoot: directory.path + "/Sandboxes",
            outputDirectory: directory.path + "/run", agent: AgentSettings(budget: Budget(maxSteps: 10, maxSeconds: 300)))
        configure(&request)
        return request
    }

    static func solve(_ request: SolveRequest, model: any ChatModel, progress: ProgressLog = ProgressLog()) async throws -> SolveResult {
        try await SolveRunner(request: request, onProgress: { progress.append($0) }).run { _ in model }
    }


    static func git(_ arguments: [String], in directory: String) async throws -> String {
        try await Git().run(arguments, in: directory).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Progress lines collected from a run.
final class ProgressLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

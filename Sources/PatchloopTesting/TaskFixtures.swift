import Foundation
import PatchloopTasks
import PatchloopWorkspace

/// Small tasks written on the fly, for tests that need a task of a particular shape.
public enum TaskFixtures {
    /// A bundled task from `Tasks/`, with a time limit far above its runs: its own 60 s is
    /// right for users, but CI's loaded machine has taken that long to start pytest.
    public static func bundled(_ name: String) throws -> TaskInstance {
        var task = try TaskStore.loadTask(PackageLocation.tasks + "/" + name)
        task.testTimeout = 900
        return task
    }

    /// A tiny Python task (pytest): `calc.add` subtracts; `test.patch` adds `test_add`.
    /// The default time limit is far above the run's second or so: a CI machine running the
    /// whole suite beside the local model has taken over 60 s to start pytest. Tests of the
    /// time limit pass their own.
    public static func pythonCalculator(in directory: TemporaryDirectory, timeout: Double = 900) throws -> TaskInstance {
        let taskDirectory = directory.path + "/Tasks/fixture__calc-1"
        let files = TemporaryDirectoryView(path: taskDirectory)
        try files.write([
            "repo/calc.py": "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n",
            "repo/tests/test_calc.py": "from calc import mul\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
            "repo/pytest.ini": "[pytest]\npythonpath = .\n",
            "gold.patch": """
                diff --git a/calc.py b/calc.py
                --- a/calc.py
                +++ b/calc.py
                @@ -1,5 +1,5 @@
                 def add(a, b):
                -    return a - b
                +    return a + b
                 
                 
                 def mul(a, b):

                """,
            "test.patch": """
                diff --git a/tests/test_calc.py b/tests/test_calc.py
                --- a/tests/test_calc.py
                +++ b/tests/test_calc.py
                @@ -1,5 +1,9 @@
                -from calc import mul
                +from calc import add, mul
                 
                 
                 def test_mul():
                     assert mul(2, 3) == 6
                +
                +
                +def test_add():
                +    assert add(2, 3) == 5

                """,
            "task.json": """
                {"instance_id": "fixture__calc-1", "repo": "fixture/calc", "problem_statement": "add(2, 3) returns -1 instead of 5.",
                 "hints_text": "", "created_at": "2026-11-27T00:00:00Z", "version": "1.0",
                 "FAIL_TO_PASS": ["tests/test_calc.py::test_add"], "PASS_TO_PASS": ["tests/test_calc.py::test_mul"],
                 "test_cmd": "python3 -m pytest -rA", "log_parser": "pytest", "language": "python", "timeout": \(timeout)}
                """,
        ])
        return try TaskStore.loadTask(taskDirectory)
    }
}

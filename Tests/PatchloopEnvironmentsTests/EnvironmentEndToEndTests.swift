import Foundation
import PatchloopCore
import PatchloopEnvironments
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// A task whose tests need a package the machine's Pythons do not have (`more-itertools`,
/// from the package index the user's pip is configured with): it fails without its
/// environment and passes with it, graded in bubblewrap with the cache under `/tmp`.
@Suite("Environments end to end")
struct EnvironmentEndToEndTests {
    static let taskJSON = """
        {"instance_id": "env-demo-1", "problem_statement": "chunks(items, n) must give lists of n items",
         "FAIL_TO_PASS": ["test_chunks (test_chunks.T.test_chunks)"], "PASS_TO_PASS": ["test_flag (test_chunks.T.test_flag)", "test_build_step (test_chunks.T.test_build_step)"],
         "test_cmd": "python -m unittest -v test_chunks", "log_parser": "django", "language": "python", "timeout": 120,
         "environment": {"python": "PYTHON", "pip": ["more-itertools==10.5.0"], "install": ["python -m pip install -e .", "python -c \\"import sys; open('_built.py', 'w').write('PREFIX = %r' % sys.prefix)\\""], "env": {"DEMO_FLAG": "on"}}}
        """
    static let testPatch = """
        diff --git a/test_chunks.py b/test_chunks.py
        new file mode 100644
        --- /dev/null
        +++ b/test_chunks.py
        @@ -0,0 +1,16 @@
        +import os
        +import sys
        +import unittest
        +
        +from chunker import chunks
        +
        +class T(unittest.TestCase):
        +    def test_chunks(self):
        +        self.assertEqual(chunks([1, 2, 3, 4], 2), [[1, 2], [3, 4]])
        +
        +    def test_flag(self):
        +        self.assertEqual(os.environ.get("DEMO_FLAG"), "on")
        +        self.assertTrue(sys.prefix.endswith("/venv"), sys.prefix)
        +
        +    def test_build_step(self):
        +        import _built; self.assertTrue(_built.PREFIX.endswith("/venv"), _built.PREFIX)

        """
    static let goldPatch = """
        diff --git a/chunker.py b/chunker.py
        --- a/chunker.py
        +++ b/chunker.py
        @@ -3,2 +3,2 @@ import more_itertools
         def chunks(items, n):
        -    return list(more_itertools.chunked(items, n + 1))
        +    return list(more_itertools.chunked(items, n))

        """

    @Test("a task that needs a pip package fails without its environment and passes with it, in bubblewrap, its build step run per worktree")
    func needsItsEnvironment() async throws {
        let host = try await ProcessRunner().run(
            ProcessSpec(executable: "/bin/sh", arguments: ["-c", "python3 -c 'import more_itertools'"], timeout: 60, mergeStandardError: true))
        try #require(!host.succeeded, "more_itertools is installed system-wide, so this test proves nothing here")
        try #require(await CommandIsolation.checkBubblewrap() == nil, "bubblewrap must work here")

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let python = try EnvironmentBuildTests.newestPython()
        try directory.write([
            "tasks/env-demo-1/task.json": Self.taskJSON.replacingOccurrences(of: "PYTHON", with: python),
            "tasks/env-demo-1/test.patch": Self.testPatch,
            "tasks/env-demo-1/gold.patch": Self.goldPatch,
            "tasks/env-demo-1/repo/.gitignore": "_built.py\n",
            "tasks/env-demo-1/repo/chunker.py": "import more_itertools\n\ndef chunks(items, n):\n    return list(more_itertools.chunked(items, n + 1))\n",
        ])
        let task = try TaskStore.loadTask(directory.path + "/tasks/env-demo-1")
        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let validator = TaskValidator(runner: AttemptRunner(configuration: configuration))

        var bare = task
        bare.environment = nil
        let without = await validator.validate(bare)
        #expect(without.gold?.resolved == false)
        #expect(without.gold?.testLog.contains("No module named 'more_itertools'") == true)

        let builder = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path + "/cache"), timeout: 600)
        let prepared = try #require(await builder.prepare([task]).first)
        let activation = try #require(prepared.environmentActivation, "\(prepared.environmentFailure.map { "\($0)" } ?? "")")
        // The editable install is covered by the worktree on PYTHONPATH; the build step runs in each fresh worktree.
        #expect(activation.installCommands.count == 1)
        #expect(activation.installCommands.first?.contains("_built.py") == true)
        // An interpreter started outside the venv (`tox --current-env` runs the tests through a link
        // to the venv's python, which Python does not take for the venv) still finds its packages.
        let manifest = try #require(builder.cache.manifest(for: activation.key))
        try FileManager.default.createDirectory(atPath: directory.path + "/elsewhere/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/elsewhere/bin/python", withDestinationPath: manifest.venv + "/bin/python")
        let linked = try await TaskTestSuite(task: prepared, isolation: .bubblewrap)
            .execute("\(directory.path)/elsewhere/bin/python -c 'import more_itertools, sys; print(sys.prefix)'", in: directory.path + "/elsewhere")
        #expect(linked.succeeded, "\(linked.standardOutput.text)")
        #expect(!linked.standardOutput.text.contains(manifest.venv), "the link is not the venv: this checks the path, not the venv")
        let with = await validator.validate(prepared)
        #expect(with.isValid, "\(with.problems)")
        #expect(with.gold?.resolved == true)
        #expect(with.empty?.resolved == false)
        // The build step's time is reported apart from the tests'.
        #expect((with.gold?.preparationDuration ?? 0) > 0)
        #expect(with.json["gold_preparation_seconds"]?.doubleValue == with.gold?.preparationDuration)
    }
}

import Foundation
import PatchloopCore
import PatchloopEnvironments
import PatchloopEval
import PatchloopTasks
import PatchloopTesting
import PatchloopWorkspace
import Testing

/// A `src/` layout whose install writes a module its code imports (as setuptools-scm
/// writes pytest's `_version.py`): it cannot run from the worktree on `PYTHONPATH`, so its
/// install runs per attempt (`install_per_attempt`), offline, into a layer over the
/// read-only environment — as SWE-bench's pytest and flask instances need.
@Suite("Install per attempt")
struct PerAttemptInstallTests {
    static let taskJSON = """
        {"instance_id": "layer-demo-1", "problem_statement": "shout() must upper-case its text",
         "FAIL_TO_PASS": ["test_shout (test_shout.T.test_shout)"],
         "PASS_TO_PASS": ["test_version (test_shout.T.test_version)", "test_tools (test_shout.T.test_tools)"],
         "test_cmd": "python -m unittest -v test_shout", "log_parser": "django", "language": "python", "timeout": 300,
         "environment": {"python": "PYTHON", "pip": ["setuptools==75.1.0"], "install": ["python -m pip install --no-deps -e ."],
                         "install_per_attempt": true}}
        """
    static let testPatch = """
        diff --git a/test_shout.py b/test_shout.py
        new file mode 100644
        --- /dev/null
        +++ b/test_shout.py
        @@ -0,0 +1,18 @@
        +import os
        +import shutil
        +import subprocess
        +import unittest
        +
        +import shouter
        +
        +class T(unittest.TestCase):
        +    def test_shout(self):
        +        self.assertEqual(shouter.shout("hi"), "HI")
        +
        +    def test_version(self):
        +        self.assertEqual(shouter.VERSION, "1.0")
        +
        +    def test_tools(self):
        +        pip = shutil.which("pip")
        +        self.assertTrue(pip.startswith(os.getcwd() + "/.patchloop-venv/bin/"), pip)
        +        self.assertIn("Editable project location", subprocess.run([pip, "show", "shouter"], capture_output=True, text=True).stdout)

        """
    static let goldPatch = """
        diff --git a/src/shouter/__init__.py b/src/shouter/__init__.py
        --- a/src/shouter/__init__.py
        +++ b/src/shouter/__init__.py
        @@ -2,2 +2,2 @@ from shouter._version import VERSION
         def shout(text):
        -    return text
        +    return text.upper()

        """
    static let setup = """
        import pathlib
        from setuptools import setup, find_packages
        # As setuptools-scm does: the install writes the version module the code imports.
        pathlib.Path("src/shouter/_version.py").write_text('VERSION = "1.0"\\n')
        setup(name="shouter", version="1.0", package_dir={"": "src"}, packages=find_packages("src"))

        """

    @Test("a src/ layout whose install writes a module resolves with its gold patch: installed per attempt into a layer, never into the shared environment, never in the patch")
    func installsPerAttempt() async throws {
        try #require(await CommandIsolation.checkBubblewrap() == nil, "bubblewrap must work here")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let python = try EnvironmentBuildTests.newestPython()
        try directory.write([
            "tasks/layer-demo-1/task.json": Self.taskJSON.replacingOccurrences(of: "PYTHON", with: python),
            "tasks/layer-demo-1/test.patch": Self.testPatch,
            "tasks/layer-demo-1/gold.patch": Self.goldPatch,
            "tasks/layer-demo-1/repo/.gitignore": "src/shouter/_version.py\n",
            "tasks/layer-demo-1/repo/setup.py": Self.setup,
            "tasks/layer-demo-1/repo/src/shouter/__init__.py": "from shouter._version import VERSION\ndef shout(text):\n    return text\n",
        ])
        let task = try TaskStore.loadTask(directory.path + "/tasks/layer-demo-1")
        #expect(task.environment?.installPerAttempt == true)
        let builder = EnvironmentBuilder(cache: EnvironmentCache(root: directory.path + "/cache"), timeout: 600)
        let prepared = try #require(await builder.prepare([task]).first)
        let activation = try #require(prepared.environmentActivation, "\(prepared.environmentFailure.map { "\($0)" } ?? "")")
        #expect(activation.usesLayer)
        #expect(!activation.worktreeOnPythonPath)
        #expect(activation.installCommands.count == 2, "the layer, then the install itself")

        let configuration = RunConfiguration(runID: "v", outputDirectory: directory.path + "/run", sandboxRoot: directory.path + "/Sandboxes")
        let result = await TaskValidator(runner: AttemptRunner(configuration: configuration)).validate(prepared)
        #expect(result.isValid, "\(result.problems) \(result.gold?.testLog.suffix(1500) ?? "")")
        #expect(result.gold?.resolved == true)
        #expect(result.empty?.resolved == false)
        #expect((result.gold?.preparationDuration ?? 0) > 0)

        // The shared environment is untouched: the install went into the worktree's layer.
        let manifest = try #require(builder.cache.manifest(for: activation.key))
        let shared = try FileManager.default.subpathsOfDirectory(atPath: manifest.venv)
        #expect(!shared.contains { $0.contains("shouter") }, "\(shared.filter { $0.contains("shouter") })")

        // In an attempt's worktree the layer and the install's files stay out of the patch.
        let manager = SandboxManager(root: directory.path + "/Sandboxes")
        let base = try await manager.baseRepository(forFilesIn: directory.path + "/tasks/layer-demo-1/repo", name: "layer-demo-1")
        let sandbox = try await manager.makeSandbox(from: base, group: "g", name: "layer-demo-1")
        let suite = try TaskTestSuite(task: prepared, isolation: .bubblewrap, sandbox: sandbox)
        for command in TaskTestSuite.preparationCommands(for: prepared) {
            let outcome = try await suite.execute(command, in: sandbox.path)
            #expect(outcome.succeeded, "\(command): \(outcome.standardOutput.text.suffix(1500))")
        }
        #expect(FileManager.default.fileExists(atPath: sandbox.path + "/.patchloop-venv/bin/pip"))
        #expect(try await sandbox.diff().isEmpty)
        await suite.finish()
        await manager.remove(sandbox)
    }

    @Test("install_per_attempt is refused without install commands, with an image, and when not a boolean")
    func badFields() throws {
        let cases = [
            (#"{"python": "3.11", "install_per_attempt": true}"#, "needs install commands"),
            (#"{"image": "busybox:latest", "install": ["make"], "install_per_attempt": true}"#, "belong to a python environment"),
            (#"{"python": "3.11", "install": ["make"], "install_per_attempt": "yes"}"#, "must be true or false"),
        ]
        for (json, message) in cases {
            #expect {
                try EnvironmentSpec.parse(try JSONValue.parse(json), where_: "task.json")
            } throws: { error in
                "\(error)".contains(message) && "\(error)".contains("task.json")
            }
        }
        let spec = try EnvironmentSpec.parse(try JSONValue.parse(#"{"python": "3.11", "install": ["make"], "install_per_attempt": true}"#), where_: "t")
        #expect(spec.json["install_per_attempt"]?.boolValue == true)
        #expect(try EnvironmentSpec.parse(spec.json, where_: "t") == spec)
        var shared = spec
        shared.installPerAttempt = false
        #expect(shared.key == spec.key, "the install runs per attempt: what is built is the same")
    }
}
